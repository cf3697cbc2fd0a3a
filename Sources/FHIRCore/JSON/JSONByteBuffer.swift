/// A growable byte buffer in manually managed memory: the writer's output and the parser's unescape scratch.
/// Appends check capacity once per chunk instead of once per byte, with no uniqueness checks.
struct JSONByteBuffer: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for `extra` more bytes.
    @inline(__always) mutating func reserve(_ extra: Int) {
        if count &+ extra > capacity { grow(count + extra) }
    }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    @inline(__always) mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count &+= 1
    }

    /// Appends a byte when room was already reserved.
    @inline(__always) mutating func appendReserved(_ byte: UInt8) {
        base[count] = byte
        count &+= 1
    }

    @inline(__always) mutating func append(_ p: UnsafePointer<UInt8>, count n: Int) {
        reserve(n)
        (base + count).update(from: p, count: n)
        count &+= n
    }

    /// Appends bytes when room was already reserved.
    @inline(__always) mutating func appendReserved(_ p: UnsafePointer<UInt8>, count n: Int) {
        (base + count).update(from: p, count: n)
        count &+= n
    }

    /// Counts `n` bytes that the caller initialized in reserved room.
    @inline(__always) mutating func skipReserved(_ n: Int) {
        count &+= n
    }

    mutating func append(_ s: StaticString) {
        append(s.utf8Start, count: s.utf8CodeUnitCount)
    }

    mutating func removeAll() { count = 0 }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// A copy of the contents as an array.
    func array() -> [UInt8] {
        let n = count
        let source = base
        return [UInt8](unsafeUninitializedCapacity: n) { buf, initialized in
            if n > 0 { buf.baseAddress?.update(from: source, count: n) }
            initialized = n
        }
    }
}
