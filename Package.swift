// swift-tools-version: 6.1
import PackageDescription

// Engineers working on the upper layers while FHIRCore is being edited may build against a frozen copy.
let coreSnapshot = Context.environment["KANGQIAO_CORE_SNAPSHOT"]
// A comma-separated list of FHIRStoreTests files to leave out of a local build (development aid only).
let excludedStoreTests = (Context.environment["KANGQIAO_EXCLUDE_TESTS"] ?? "").split(separator: ",").map(String.init)

// Layers (ARCHITECTURE.md): FHIRCore (no I/O) <- FHIRStore <- KangqiaoServer <- kangqiao.
// Arrows point down only; FHIRCore has no package dependencies so it builds and tests alone.
let package = Package(
    name: "Kangqiao",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kangqiao", targets: ["kangqiao"]),
        .library(name: "FHIRCore", targets: ["FHIRCore"]),
        .library(name: "FHIRStore", targets: ["FHIRStore"]),
        .library(name: "ChinaReference", targets: ["ChinaReference"]),
        .library(name: "Access", targets: ["Access"]),
        .library(name: "Registry", targets: ["Registry"]),
        .library(name: "Terminology", targets: ["Terminology"]),
        .library(name: "KangqiaoServer", targets: ["KangqiaoServer"]),
        .library(name: "QRCode", targets: ["QRCode"]),
        .library(name: "HealthCard", targets: ["HealthCard"]),
        .library(name: "Identity", targets: ["Identity"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "FHIRCore",
            path: coreSnapshot.map { "\($0)/Sources/FHIRCore" },
            resources: [.copy("Resources/r4-definitions.json")]
        ),
        // China's reference data the product needs (pinyin, GB/T 2260 divisions, resident ID rule R-ID18)
        // and the Chinese profile's URLs; no I/O beyond reading its own vendored tables.
        .target(
            name: "ChinaReference",
            resources: [
                .copy("Resources/pinyin.tsv"), .copy("Resources/divisions-2023.tsv"), .copy("Resources/division-codes-history.tsv"),
                .copy("Resources/nip-schedule-2021.tsv"),
            ]
        ),
        // Code systems, value sets and concept maps with $lookup/$validate-code/$expand/$translate, the
        // shipped catalogues (ICD-10, ICD-9-CM-3, drugs, lab tests, vaccines, national code tables); no I/O but its own files.
        .target(name: "Terminology", dependencies: ["FHIRCore", "ChinaReference"], resources: [.copy("Resources")]),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The SQLite writer's VFS: its write-ahead-log writes gathered into a few large write() calls per commit.
        .target(name: "CSQLiteWALBuffer", dependencies: ["CSQLite"]),
        .target(
            name: "FHIRStore",
            dependencies: [
                "FHIRCore", "CSQLite", "CSQLiteWALBuffer",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Identities, tokens, SMART scopes, password and second-factor checks, audit chain hashing.
        .target(
            name: "Access",
            dependencies: [
                "FHIRCore", "FHIRStore", "ChinaReference",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Facility and health-worker registries: the Chinese profile's search parameters, the facility
        // hierarchy and practitioner records, and their checks.
        .target(name: "Registry", dependencies: ["FHIRCore", "FHIRStore", "ChinaReference"]),
        // `kangqiao demo`: a fictitious region generated from a seed (registries, staff, residents, histories).
        .target(
            name: "DemoRegion",
            dependencies: ["FHIRCore", "FHIRStore", "ChinaReference", "Registry", "Access"],
            resources: [.copy("Resources/surnames.tsv"), .copy("Resources/given-name-characters.tsv")]
        ),
        // A QR code encoder of our own (ISO/IEC 18004) drawing PNG and SVG; no dependencies at all.
        .target(name: "QRCode"),
        // The electronic health card (R-HC-1, R-HC-2): one card per person, signed static and
        // single-use dynamic QR codes, their verification.
        .target(
            name: "HealthCard",
            dependencies: ["FHIRCore", "FHIRStore", "ChinaReference", "QRCode", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The patient master index (issue 6): R-ID18 on person records, matching, master Persons, merge.
        .target(name: "Identity", dependencies: ["FHIRCore", "FHIRStore", "ChinaReference"]),
        .target(
            name: "KangqiaoServer",
            dependencies: [
                "FHIRCore", "FHIRStore", "Access", "Identity", "Terminology", "Registry", "ChinaReference", "HealthCard", "QRCode",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "kangqiao",
            dependencies: [
                "FHIRCore", "FHIRStore", "KangqiaoServer", "Access", "DemoRegion", "HealthCard", "Terminology",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "KangqiaoBench",
            dependencies: [
                "FHIRCore", "FHIRStore", "KangqiaoServer", "Access",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/KangqiaoBench"
        ),
        .testTarget(name: "FHIRCoreTests", dependencies: ["FHIRCore"], path: coreSnapshot.map { "\($0)/Tests/FHIRCoreTests" }),
        .testTarget(name: "AccessTests", dependencies: ["Access", "FHIRCore", "FHIRStore", "StoreTestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ChinaReferenceTests", dependencies: ["ChinaReference"]),
        // Reads QR images back with a real decoder (zbarimg) for the QR, card and server tests.
        .target(name: "QRTestSupport", dependencies: ["QRCode"], path: "Tests/QRTestSupport"),
        // A fresh store of either backend for the test targets below the server (the server's tests
        // have their own, with the HTTP client).
        .target(name: "StoreTestSupport", dependencies: ["FHIRStore"], path: "Tests/StoreTestSupport"),
        .testTarget(name: "QRCodeTests", dependencies: ["QRCode", "QRTestSupport"]),
        .testTarget(
            name: "HealthCardTests",
            dependencies: ["HealthCard", "QRCode", "QRTestSupport", "StoreTestSupport", "FHIRCore", "FHIRStore", "ChinaReference",
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "IdentityTests", dependencies: ["Identity", "ChinaReference", "FHIRCore", "FHIRStore", "KangqiaoServer", "DemoRegion", "StoreTestSupport"]),
        .testTarget(name: "TerminologyTests", dependencies: ["Terminology", "FHIRCore", "ChinaReference"]),
        .testTarget(name: "FHIRStoreTests", dependencies: ["FHIRStore", "FHIRCore"], exclude: excludedStoreTests),
        .testTarget(
            name: "KangqiaoServerTests",
            dependencies: [
                "KangqiaoServer", "FHIRStore", "FHIRCore", "Access", "Registry", "ChinaReference", "DemoRegion", "HealthCard", "QRTestSupport", "Identity", "Terminology",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
