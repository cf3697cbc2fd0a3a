#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The libm functions FHIRPath math needs (FHIRCore does not import Foundation).
enum FHIRMath {
    static func exp(_ x: Double) -> Double { libmExp(x) }
    static func log(_ x: Double) -> Double { libmLog(x) }
    static func pow(_ x: Double, _ y: Double) -> Double { libmPow(x, y) }
}

// File-scope names reach the C functions; inside `FHIRMath` the names would refer to its own members.
private func libmExp(_ x: Double) -> Double { exp(x) }
private func libmLog(_ x: Double) -> Double { log(x) }
private func libmPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
