/// Arithmetic in GF(256) with the QR code's field polynomial x⁸+x⁴+x³+x²+1 (0x11D), and the
/// Reed–Solomon error-correction codewords computed with it.
enum GaloisField {
    /// `exp[i]` = αⁱ for i in 0..<255 (α = 2), repeated once so products need no modulo.
    static let exp: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 510)
        var x = 1
        for i in 0..<255 {
            table[i] = UInt8(x)
            table[i + 255] = UInt8(x)
            x <<= 1
            if x & 0x100 != 0 { x ^= 0x11D }
        }
        return table
    }()

    /// `log[x]` for x ≠ 0 (log[0] is unused).
    static let log: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for i in 0..<255 { table[Int(exp[i])] = i }
        return table
    }()

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        guard a != 0, b != 0 else { return 0 }
        return exp[log[Int(a)] + log[Int(b)]]
    }
}

/// Reed–Solomon encoder for one block length: the generator polynomial ∏(x − αⁱ), i < degree, is
/// built once, then each block's remainder of data·x^degree divided by it is its ECC codewords.
struct ReedSolomonEncoder {
    /// Coefficients of the generator, highest power first, without the leading 1.
    let generator: [UInt8]

    init(degree: Int) {
        precondition((1...255).contains(degree), "Reed–Solomon degree out of range")
        // Start from the polynomial 1 and multiply by (x − αⁱ) for each i; in GF(256) minus is plus.
        var poly: [UInt8] = [1]
        for i in 0..<degree {
            var next = [UInt8](repeating: 0, count: poly.count + 1)
            for (j, c) in poly.enumerated() {
                next[j] ^= c
                next[j + 1] ^= GaloisField.multiply(c, GaloisField.exp[i])
            }
            poly = next
        }
        generator = Array(poly.dropFirst())
    }

    /// The ECC codewords of `data` (polynomial long division, remainder kept in a shift register).
    func remainder(of data: ArraySlice<UInt8>) -> [UInt8] {
        var register = [UInt8](repeating: 0, count: generator.count)
        for byte in data {
            let factor = byte ^ register[0]
            register.removeFirst()
            register.append(0)
            for k in 0..<generator.count {
                register[k] ^= GaloisField.multiply(generator[k], factor)
            }
        }
        return register
    }
}
