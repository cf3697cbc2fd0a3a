import Testing

/// The sign-in page's delivery (its behaviour is driven in headless Chromium by scripts/browser-checks.sh).
@Suite("sign-in page")
struct LoginPageTests {
    @Test("the page, its script and style are public, never cached, unframeable and under a strict Content-Security-Policy")
    func headers() async throws {
        try await withFHIRServer { fhir, _ in
            for (path, type) in [("/login", "text/html"), ("/web/login.js", "text/javascript"), ("/web/kangqiao.css", "text/css")] {
                let r = try await fhir.anonymous.get(path)
                #expect(r.status == 200, "\(path)")
                #expect(r.header("Content-Type")?.hasPrefix(type) == true, "\(path)")
                #expect(r.header("Cache-Control") == "no-store")
                let policy = r.header("Content-Security-Policy") ?? ""
                #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe-inline"))
                #expect(r.header("X-Content-Type-Options") == "nosniff")
            }
            let page = try await fhir.anonymous.get("/login").text
            #expect(!page.contains("<script>"), "no inline script")
            #expect(page.contains(#"src="/web/login.js""#))
        }
    }
}
