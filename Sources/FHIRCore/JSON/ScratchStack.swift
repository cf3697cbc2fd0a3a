/// A stack of values in manually managed memory whose top part can be moved out as an exact-size array.
struct ScratchStack<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    @inline(__always) subscript(i: Int) -> Element { base[i] }

    @inline(__always) mutating func push(_ element: consuming Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }

    /// Moves the elements from `start` to the top into a new array of that size and pops them.
    /// (Appending to a reserved array: `Array(unsafeUninitializedCapacity:)` ran unspecialized here and
    /// looked up generic metadata on every call, measured at ~7% of parsing.)
    mutating func popArray(from start: Int) -> [Element] {
        let n = count - start
        guard n > 0 else { return [] }
        let source = base + start
        count = start
        var array: [Element] = []
        array.reserveCapacity(n)
        for k in 0..<n { array.append((source + k).move()) }
        return array
    }

    mutating func removeAll(from start: Int) {
        (base + start).deinitialize(count: count - start)
        count = start
    }
}
