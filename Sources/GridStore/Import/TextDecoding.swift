#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Text encodings a planner's CSV arrives in: UTF-8 (with or without a BOM), and GBK / GB18030 as Excel on
/// Chinese Windows saves "CSV". GBK and GB18030 are decoded by the C library's iconv (glibc ships both), which
/// reports where decoding stopped, so an error can name the byte.
public enum TextEncoding: String, CaseIterable, Sendable {
    case utf8, gbk, gb18030

    var iconvName: String {
        switch self {
        case .utf8: "UTF-8"
        case .gbk: "GBK"
        case .gb18030: "GB18030"
        }
    }
}

enum TextDecoding {
    struct Decoded: Sendable {
        var text: String
        var encoding: TextEncoding
        /// True when the encoding was found by trying, not given.
        var detected: Bool
    }

    enum Failure: Error, Sendable {
        /// `offset` is the 0-based byte offset of the first byte that does not decode; `line` is 1-based.
        case invalid(encoding: TextEncoding, offset: Int, line: Int, bytes: [UInt8])
        case notUTF8NorGB18030(offset: Int, line: Int, bytes: [UInt8])
        case utf16
        case unavailable(TextEncoding)
    }

    /// Decodes `bytes` as `encoding`, or, when nil, as UTF-8 if it is valid UTF-8 (a BOM is dropped), else as GB18030
    /// (a superset of GBK).
    static func decode(_ bytes: [UInt8], as encoding: TextEncoding?) throws(Failure) -> Decoded {
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) { throw .utf16 }
        switch encoding {
        case .utf8?:
            return Decoded(text: try utf8(bytes), encoding: .utf8, detected: false)
        case let given?:
            return Decoded(text: try convert(bytes, from: given), encoding: given, detected: false)
        case nil:
            do {
                return Decoded(text: try utf8(bytes), encoding: .utf8, detected: true)
            } catch .invalid(_, let offset, let line, let badBytes) {
                do {
                    return Decoded(text: try convert(bytes, from: .gb18030), encoding: .gb18030, detected: true)
                } catch {
                    throw .notUTF8NorGB18030(offset: offset, line: line, bytes: badBytes)
                }
            } catch {
                throw error
            }
        }
    }

    /// 1-based line of a byte offset. 0x0A is never part of a multi-byte character in UTF-8, GBK or GB18030.
    static func line(of offset: Int, in bytes: [UInt8]) -> Int {
        1 + bytes[..<min(offset, bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    /// Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF); drops a leading BOM.
    static func utf8(_ bytes: [UInt8]) throws(Failure) -> String {
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var i = start
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int, lowest: UInt8, highest: UInt8
            switch b {
            case 0xC2...0xDF: length = 2; lowest = 0x80; highest = 0xBF
            case 0xE0: length = 3; lowest = 0xA0; highest = 0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3; lowest = 0x80; highest = 0xBF
            case 0xED: length = 3; lowest = 0x80; highest = 0x9F
            case 0xF0: length = 4; lowest = 0x90; highest = 0xBF
            case 0xF1...0xF3: length = 4; lowest = 0x80; highest = 0xBF
            case 0xF4: length = 4; lowest = 0x80; highest = 0x8F
            default: throw invalid(.utf8, at: i, in: bytes)
            }
            guard i + length <= bytes.count, (lowest...highest).contains(bytes[i + 1]),
                  bytes[(i + 2)..<(i + length)].allSatisfy({ (0x80...0xBF).contains($0) })
            else { throw invalid(.utf8, at: i, in: bytes) }
            i += length
        }
        return String(decoding: bytes[start...], as: UTF8.self)
    }

    static func invalid(_ encoding: TextEncoding, at offset: Int, in bytes: [UInt8]) -> Failure {
        .invalid(encoding: encoding, offset: offset, line: line(of: offset, in: bytes),
                 bytes: Array(bytes[offset..<min(offset + 4, bytes.count)]))
    }

    /// Converts to UTF-8 with iconv; the first byte iconv cannot convert (or a truncated character) is the error.
    static func convert(_ bytes: [UInt8], from encoding: TextEncoding) throws(Failure) -> String {
        guard let converter = iconv_open("UTF-8", encoding.iconvName), converter != iconv_t(bitPattern: -1) else {
            throw .unavailable(encoding)
        }
        defer { iconv_close(converter) }
        // A GBK character (2 bytes) becomes at most 3 UTF-8 bytes, a GB18030 one (4 bytes) at most 4.
        var output = [UInt8](repeating: 0, count: bytes.count * 3 / 2 + 16)
        var input = bytes
        let outputCapacity = output.count
        var failedAt: Int?
        let written: Int = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inputBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outputBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var inLeft = inputBuffer.count, outLeft = outputCapacity
                if inLeft > 0, iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) == -1 {
                    failedAt = inputBuffer.count - inLeft
                }
                return outputCapacity - outLeft
            }
        }
        if let failedAt { throw invalid(encoding, at: failedAt, in: bytes) }
        var text = String(decoding: output[..<written], as: UTF8.self)
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        return text
    }
}
