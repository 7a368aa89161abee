import Foundation
import GridModel
import GridStore
import HTTPTypes
import Hummingbird

/// Builds responses with the caching and compression every read shares: a strong ETag over the body (so
/// `If-None-Match` answers 304 without the body) and gzip when the client takes it and the body is large.
enum Responses {
    static let geoJSON = "application/geo+json"
    static let json = "application/json"

    static func bytes(_ body: [UInt8], contentType: String, request: Request, status: HTTPResponse.Status = .ok,
                      headers extra: HTTPFields = [:], cacheable: Bool = true) -> Response {
        represented(body, etag: cacheable ? etag(body) : nil, gzipped: { Gzip.compress(body) }, contentType: contentType,
                    request: request, status: status, headers: extra)
    }

    /// The answer for a body whose ETag (`etag(body)`; nil: not cacheable) is known and whose gzip bytes `gzipped`
    /// gives (nil: sent as it is), asked for only when the client takes gzip and the body is large enough.
    /// `gzipETag`: the tag of the gzip bytes when they have their own (else the body's tag with `gzipTagSuffix`).
    /// `acceptsGzip`: `acceptsGzip(request)` when the caller has it already.
    static func represented(_ body: [UInt8], etag: String?, gzipETag: String? = nil, gzipped: () -> [UInt8]?, contentType: String,
                            request: Request, acceptsGzip accepts: Bool? = nil, status: HTTPResponse.Status = .ok,
                            headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = contentType
        // On every answer, 304 included: caches must key the stored representation by Accept-Encoding.
        headers[.vary] = "Accept-Encoding"
        let gzip = body.count >= gzipFromBytes && (accepts ?? acceptsGzip(request))
        if let etag {
            // A strong ETag names one representation (RFC 9110, 8.8.3): the gzip one has its own tag, so a cache
            // never pairs gzip bytes with the identity tag or the other way round.
            let tag = gzip ? "\"\(gzipETag ?? etag + gzipTagSuffix)\"" : "\"\(etag)\""
            if notModified(request, tag: tag) {
                headers[.eTag] = tag
                headers[.contentLength] = nil
                return Response(status: .notModified, headers: headers)
            }
            if gzip, let compressed = gzipped() {
                headers[.eTag] = tag
                return encoded(compressed, gzip: true, status: status, headers: headers)
            }
            headers[.eTag] = "\"\(etag)\""
            return encoded(body, gzip: false, status: status, headers: headers)
        }
        if gzip, let compressed = gzipped() {
            return encoded(compressed, gzip: true, status: status, headers: headers)
        }
        return encoded(body, gzip: false, status: status, headers: headers)
    }

    /// Smaller bodies go out as they are: gzip would save less than a packet.
    static let gzipFromBytes = 1400
    static let gzipTagSuffix = "-gzip"

    private static func encoded(_ bytes: [UInt8], gzip: Bool, status: HTTPResponse.Status, headers: HTTPFields) -> Response {
        var headers = headers
        if gzip { headers[.contentEncoding] = "gzip" }
        headers[.contentLength] = String(bytes.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// If-None-Match uses the weak comparison (RFC 9110, 13.1.2): `W/"x"` matches `"x"`; `*` matches any.
    static func notModified(_ request: Request, tag: String) -> Bool {
        guard let match = request.headers[.ifNoneMatch] else { return false }
        return match.split(separator: ",").contains {
            let candidate = $0.trimmingCharacters(in: .whitespaces)
            return candidate == tag || candidate == "W/" + tag || candidate == "*"
        }
    }

    static func json(_ value: JSONValue, request: Request, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:],
                     cacheable: Bool = true) -> Response {
        bytes(Array(GeoJSON.encode(value).utf8), contentType: json, request: request, status: status, headers: headers, cacheable: cacheable)
    }

    static func acceptsGzip(_ request: Request) -> Bool {
        guard let accepted = request.headers[.acceptEncoding] else { return false }
        return acceptsGzip(accepted)
    }

    /// Whether an Accept-Encoding value takes gzip: an item whose first part is `gzip`, without `q=0`.
    static func acceptsGzip(_ accepted: String) -> Bool {
        // ASCII, as clients send it, is read byte by byte with the same splitting and trimming (space and tab are the
        // ASCII whitespace `CharacterSet.whitespaces` holds).
        if let ascii = accepted.utf8.withContiguousStorageIfAvailable({ bytes -> Bool? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            func trimmed(_ part: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
                var part = part
                while let first = part.first, first == 0x20 || first == 0x09 { part.removeFirst() }
                while let last = part.last, last == 0x20 || last == 0x09 { part.removeLast() }
                return part
            }
            return bytes.split(separator: UInt8(ascii: ",")).contains { item in
                let parts = item.split(separator: UInt8(ascii: ";"))
                guard let first = parts.first, trimmed(first).elementsEqual("gzip".utf8) else { return false }
                return !parts.dropFirst().contains { trimmed($0).filter { $0 != 0x20 }.elementsEqual("q=0".utf8) }
            }
        }), let ascii {
            return ascii
        }
        return accepted.split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first == "gzip" else { return false }
            return !parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" }
        }
    }

    /// A 64-bit hash of the body, eight bytes at a time (FNV-style multiply with a final avalanche), plus its
    /// length: stable across runs and fast on large pages; ETags need no cryptographic strength.
    static func etag(_ body: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        body.withUnsafeBytes { raw in
            let words = raw.count / 8
            for index in 0..<words {
                let word = raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
                hash = (hash ^ word) &* 0x100_0000_01b3
                hash ^= hash >> 29
            }
            for byte in raw[(words * 8)...] { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex + "-" + String(body.count, radix: 16)
    }

    /// "http://host:port" as the client addressed the server, for absolute links.
    static func base(_ request: Request) -> String {
        let host = request.head.authority ?? "127.0.0.1"
        return "http://\(host)"
    }
}
