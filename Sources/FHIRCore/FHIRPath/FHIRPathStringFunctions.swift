/// String functions: search, slicing, case, regular expressions, split/join, encodings and escapes.
extension FHIRPathEvaluator {
    func stringFunction(_ f: FHIRPathFunction, _ input: [FHIRPathValue], _ args: [[FHIRPathValue]]) throws -> [FHIRPathValue]? {
        switch f {
        case .join:
            let separator = try args.first.map { try stringArgument($0, "join() separator") ?? "" } ?? ""
            return [.string(try input.map { item -> String in
                guard case .string(let s) = item.primitive() else { throw FHIRPathError.execution("join() needs strings") }
                return s
            }.joined(separator: separator))]
        case .indexOf, .lastIndexOf, .substring, .startsWith, .endsWith, .contains, .upper, .lower, .replace, .matches,
             .matchesFull, .replaceMatches, .length, .toChars, .trim, .split, .encode, .decode, .escape, .unescape:
            break
        default:
            return nil
        }
        guard let item = try singleton(input, "\(f.rawValue)()") else { return [] }
        guard case .string(let s) = item.primitive() else {
            throw FHIRPathError.execution("\(f.rawValue)() needs a string, not \(item.typeName)")
        }
        // Every argument of these functions is a string or an integer; an empty one gives an empty result.
        if args.contains(where: \.isEmpty) && f != .substring { return [] }
        func text(_ i: Int) throws -> String { try stringArgument(args[i], "\(f.rawValue)() argument") ?? "" }
        switch f {
        case .indexOf, .lastIndexOf:
            let needle = try text(0)
            let chars = Array(s), n = Array(needle)
            if n.isEmpty { return [.integer(f == .indexOf ? 0 : chars.count)] }
            guard n.count <= chars.count else { return [.integer(-1)] }
            let starts = Array(0...(chars.count - n.count))
            for i in f == .indexOf ? starts : starts.reversed() where Array(chars[i..<(i + n.count)]) == n {
                return [.integer(i)]
            }
            return [.integer(-1)]
        case .substring:
            guard let start = try integerArgument(args[0], "substring() start") else { return [] }
            let chars = Array(s)
            guard start >= 0, start < chars.count else { return [] }
            var end = chars.count
            if args.count > 1 {
                guard let length = try integerArgument(args[1], "substring() length") else { return [.string(String(chars[start...]))] }
                end = length >= chars.count - start ? chars.count : start + max(0, length)
            }
            return [.string(String(chars[start..<end]))]
        case .startsWith: return [.boolean(s.hasPrefix(try text(0)))]
        case .endsWith: return [.boolean(s.hasSuffix(try text(0)))]
        case .contains:
            let t = try text(0)
            return [.boolean(t.isEmpty || s.contains(t))]
        case .upper: return [.string(s.uppercased())]
        case .lower: return [.string(s.lowercased())]
        case .length: return [.integer(s.count)]
        case .toChars: return s.map { .string(String($0)) }
        case .trim: return [.string(String(s.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()))]
        case .replace:
            let pattern = try text(0), replacement = try text(1)
            if pattern.isEmpty {
                return [.string(replacement + s.map { String($0) + replacement }.joined())]
            }
            return [.string(s.replacing(pattern, with: replacement))]
        case .split:
            let separator = try text(0)
            guard !separator.isEmpty else { return s.map { .string(String($0)) } }
            return s.split(separator: separator, omittingEmptySubsequences: false).map { .string(String($0)) }
        case .matches, .matchesFull:
            let pattern = try regex(try text(0))
            let matched = f == .matches ? (try? pattern.firstMatch(in: s)) != nil : (try? pattern.wholeMatch(in: s)) != nil
            return [.boolean(matched)]
        case .replaceMatches:
            let pattern = try text(0), replacement = try text(1)
            if pattern.isEmpty { return [.string(s)] }
            return [.string(FHIRPathEvaluator.replaceMatches(s, try regex(pattern), replacement))]
        case .encode, .decode, .escape, .unescape:
            guard let r = try FHIRPathEncoding.apply(f, s, format: try text(0)) else { return [] }
            return [.string(r)]
        default:
            return nil
        }
    }

    func regex(_ pattern: String) throws -> Regex<AnyRegexOutput> {
        try FHIRPathRegexCache.current.regex(pattern)
    }

    /// Replaces every match, expanding `$1`..`$9` in the replacement to the captured groups.
    static func replaceMatches(_ s: String, _ regex: Regex<AnyRegexOutput>, _ replacement: String) -> String {
        s.replacing(regex) { match -> String in
            var out = ""
            var chars = replacement.makeIterator()
            while let c = chars.next() {
                guard c == "$" else {
                    out.append(c)
                    continue
                }
                guard let d = chars.next() else {
                    out.append("$")
                    break
                }
                if let n = d.wholeNumberValue, n < match.output.count {
                    out += match.output[n].substring.map(String.init) ?? ""
                } else {
                    out.append("$")
                    out.append(d)
                }
            }
            return out
        }
    }
}
