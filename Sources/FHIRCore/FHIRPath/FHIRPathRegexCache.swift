#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Compiled regular expressions by pattern, one cache per thread. Compiling a `Regex` costs tens of
/// microseconds and invariants use the same few literal patterns on every write, but `Regex` is not
/// `Sendable`, so each thread keeps its own compiled copies and never hands them to another thread
/// (evaluation is synchronous, so a cache is only touched by the thread that owns it).
final class FHIRPathRegexCache {
    private var patterns: [String: Regex<AnyRegexOutput>] = [:]

    /// The calling thread's cache.
    static var current: FHIRPathRegexCache {
        if let p = pthread_getspecific(threadKey) {
            return Unmanaged<FHIRPathRegexCache>.fromOpaque(p).takeUnretainedValue()
        }
        let cache = FHIRPathRegexCache()
        pthread_setspecific(threadKey, Unmanaged.passRetained(cache).toOpaque())
        return cache
    }

    /// The compiled pattern (dot matches newlines); an execution error for an invalid pattern.
    func regex(_ pattern: String) throws -> Regex<AnyRegexOutput> {
        if let cached = patterns[pattern] { return cached }
        do {
            let compiled = try Regex(pattern).dotMatchesNewlines()
            if patterns.count >= 256 { patterns.removeAll() }
            patterns[pattern] = compiled
            return compiled
        } catch {
            throw FHIRPathError.execution("invalid regular expression '\(pattern)'")
        }
    }
}

/// The thread-specific slot of `FHIRPathRegexCache`; the destructor releases a thread's cache when the
/// thread ends.
private let threadKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { pointer in
        #if canImport(Darwin)
        Unmanaged<FHIRPathRegexCache>.fromOpaque(pointer).release()
        #else
        if let pointer { Unmanaged<FHIRPathRegexCache>.fromOpaque(pointer).release() }
        #endif
    }
    return key
}()
