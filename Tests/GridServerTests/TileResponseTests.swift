import Foundation
import GRDB
import GridModel
@testable import GridServer
import GridStore
import GridTiles
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A tile answered from memory is the tile answered the first time, byte for byte and header for header, whether it
/// was drawn or read from a seeded file; and its tags are the ones every other response gets for the same body.
@Suite("Tile responses from memory")
struct TileResponseTests {
    /// Headers as sent, in order, minus the date (which moves between two answers).
    static func headers(_ response: TestResponse) -> [String] {
        response.headers.filter { $0.name != .date }.map { "\($0.name.canonicalName): \($0.value)" }
    }

    /// Tiles over the demo district's buildings at zooms 13 to 15, some with bodies large enough to be gzipped.
    static func uris(_ client: some TestClientProtocol) async throws -> [String] {
        let tileset = try await client.execute(uri: "/tiles/WebMercatorQuad", method: .get).json
        let lowerLeft = (tileset["boundingBox"]?["lowerLeft"]?.arrayValue ?? []).compactMap { $0.doubleValue }
        let upperRight = (tileset["boundingBox"]?["upperRight"]?.arrayValue ?? []).compactMap { $0.doubleValue }
        try #require(lowerLeft.count == 2 && upperRight.count == 2)
        let longitude = (lowerLeft[0] + upperRight[0]) / 2, latitude = (lowerLeft[1] + upperRight[1]) / 2
        return (13...15).map { z in
            let n = Double(1 << z)
            return "/tiles/WebMercatorQuad/\(z)/\(Int(WebMercator.worldY(latitude: latitude) * n))/\(Int(WebMercator.worldX(longitude: longitude) * n))"
        }
    }

    @Test("drawn and seeded tiles: warm answers (gzip, identity, If-None-Match) are the cold ones, tags as for any body")
    func warmIsCold() async throws {
        let demo = try DemoStore()
        let file = demo.directory.appendingPathComponent("demo.mbtiles").path
        _ = try TileSeeder.seed(store: demo.store, request: .init(minZoom: 13, maxZoom: 15, bbox: nil, datum: .wgs84, output: file), workers: 2)
        let seeded = try SeededTiles(path: file)
        var withSeeded = settings()
        withSeeded.seededTiles = seeded
        // The identity bodies and tags, from a drawing server; both kinds of server must answer them.
        let bodies = try await application(demo.store).test(.router) { client in
            var bodies: [String: [UInt8]] = [:]
            for uri in try await Self.uris(client) {
                let response = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "identity"])
                bodies[uri] = [UInt8](buffer: response.body)
            }
            return bodies
        }
        #expect(bodies.values.contains { $0.count >= Responses.gzipFromBytes }, "no tile large enough to be gzipped")
        for (kind, serverSettings) in [("drawn", settings()), ("seeded", withSeeded)] {
            for (uri, body) in bodies {
                let tag = "\"\(Responses.etag(body))\""
                let gzips = body.count >= Responses.gzipFromBytes
                // Kept first for a client that does not take gzip, the tile gets its gzip bytes on the first gzip request.
                let gzipCold = try await application(demo.store, serverSettings).test(.router) { client in
                    try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip"])
                }
                // The gzip bytes' tag is their own hash.
                let gzipTag = gzips ? "\"\(Responses.etag([UInt8](buffer: gzipCold.body)))\(Responses.gzipTagSuffix)\"" : tag
                if gzips { #expect(Gzip.decompress([UInt8](buffer: gzipCold.body)) == body, "\(kind) \(uri)") }
                let variants: [(String, HTTPFields)] = [
                    ("gzip", [.acceptEncoding: "gzip"]), ("identity", [.acceptEncoding: "identity"]),
                    ("gzip 304", [.acceptEncoding: "gzip", .ifNoneMatch: gzipTag]), ("identity 304", [.ifNoneMatch: "W/" + tag]),
                    ("gzip with the identity tag", [.acceptEncoding: "gzip", .ifNoneMatch: tag]),
                ]
                try await application(demo.store, serverSettings).test(.router) { client in
                    _ = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "identity"])
                    for _ in 0..<2 {
                        let later = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip"])
                        #expect(Self.headers(later) == Self.headers(gzipCold), "\(kind) gzip after identity \(uri)")
                        #expect([UInt8](buffer: later.body) == [UInt8](buffer: gzipCold.body), "\(kind) gzip after identity \(uri)")
                    }
                }
                for (variant, headers) in variants {
                    // A fresh server for each: its first answer is cold (drawn or read from the file), the second warm.
                    try await application(demo.store, serverSettings).test(.router) { client in
                        let cold = try await client.execute(uri: uri, method: .get, headers: headers)
                        let warm = try await client.execute(uri: uri, method: .get, headers: headers)
                        let what = "\(kind) \(variant) \(uri)"
                        #expect(cold.status == warm.status, "\(what)")
                        #expect(Self.headers(cold) == Self.headers(warm), "\(what)")
                        #expect([UInt8](buffer: cold.body) == [UInt8](buffer: warm.body), "\(what)")
                        let notModified = variant.hasSuffix("304") || (variant.hasSuffix("identity tag") && !gzips)
                        #expect(cold.status == (notModified ? .notModified : .ok), "\(what)")
                        let gzipped = gzips && variant.hasPrefix("gzip")
                        #expect(cold.headers[.eTag] == (gzipped ? gzipTag : tag), "\(what)")
                        #expect(cold.headers[.contentEncoding] == (gzipped && !notModified ? "gzip" : nil), "\(what)")
                        #expect(cold.headers[.vary] == "Accept-Encoding", "\(what)")
                        guard !notModified else { return }
                        let sent = [UInt8](buffer: cold.body)
                        #expect(cold.headers[.contentLength] == String(sent.count), "\(what)")
                        if gzipped {
                            #expect(Gzip.decompress(sent) == body, "\(what)")
                        } else {
                            #expect(sent == body, "\(what)")
                        }
                    }
                }
            }
        }
    }

    @Test("a seeded tile's gzip bytes are sent as the file holds them, tagged by their own hash")
    func seededGzipAsStored() async throws {
        let demo = try DemoStore()
        let file = demo.directory.appendingPathComponent("demo.mbtiles").path
        _ = try TileSeeder.seed(store: demo.store, request: .init(minZoom: 13, maxZoom: 15, bbox: nil, datum: .wgs84, output: file), workers: 2)
        var withSeeded = settings()
        withSeeded.seededTiles = try SeededTiles(path: file)
        let stored = try DatabaseQueue(path: file).read { db in
            try Row.fetchAll(db, sql: "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles WHERE length(tile_data) > 600 LIMIT 5")
        }.map { row -> (z: Int, x: Int, tmsRow: Int, data: [UInt8]) in (row[0], row[1], row[2], [UInt8](row[3] as Data)) }
        try #require(!stored.isEmpty)
        try await application(demo.store, withSeeded).test(.router) { client in
            for (z, x, tmsRow, data) in stored {
                guard let body = Gzip.decompress(data) else { Issue.record("tile \(z)/\(x)/\(tmsRow) is not gzip"); continue }
                guard body.count >= Responses.gzipFromBytes else { continue }
                #expect(Gzip.isMember(data, of: body))
                let uri = "/tiles/WebMercatorQuad/\(z)/\((1 << z) - 1 - tmsRow)/\(x)"
                for _ in 0..<2 {
                    let response = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip"])
                    #expect(response.headers[.contentEncoding] == "gzip")
                    #expect([UInt8](buffer: response.body) == data, "\(uri)")
                    #expect(response.headers[.eTag] == "\"\(Responses.etag(data))\(Responses.gzipTagSuffix)\"")
                }
            }
        }
        // A file whose gzip bytes of a tile are not a drawing server's (here: zlib's best compression): the two servers
        // send different bytes of one tile, under different tags, and the same tile under the same identity tag.
        let (z, x, tmsRow, data) = try #require(stored.first { (Gzip.decompress($0.data)?.count ?? 0) >= Responses.gzipFromBytes })
        let body = try #require(Gzip.decompress(data))
        let best = try #require(Gzip.compress(body, level: 9))
        let writer = try DatabaseQueue(path: file)
        try writer.inDatabase { db in
            try db.execute(sql: "UPDATE tiles SET tile_data = ? WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                           arguments: [Data(best), z, x, tmsRow])
        }
        let uri = "/tiles/WebMercatorQuad/\(z)/\((1 << z) - 1 - tmsRow)/\(x)"
        var rewritten = settings()
        rewritten.seededTiles = try SeededTiles(path: file)
        var answers: [(body: [UInt8], tag: String?, identityTag: String?)] = []
        for serverSettings in [rewritten, settings()] {
            answers.append(try await application(demo.store, serverSettings).test(.router) { client in
                let gzip = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip"])
                let identity = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "identity"])
                #expect(gzip.headers[.contentEncoding] == "gzip")
                #expect(Gzip.decompress([UInt8](buffer: gzip.body)) == body)
                return ([UInt8](buffer: gzip.body), gzip.headers[.eTag], identity.headers[.eTag])
            })
        }
        #expect(answers[0].body == best)
        #expect(answers[0].body != answers[1].body)
        #expect(answers[0].tag != answers[1].tag)
        #expect(answers[0].identityTag == answers[1].identityTag)
        #expect(answers.allSatisfy { $0.tag == "\"\(Responses.etag($0.body))\(Responses.gzipTagSuffix)\"" })

        // Bytes with anything after the member, or another tile's trailer, are not taken as the tile's gzip.
        let gzip = stored[0].data
        let tile = try #require(Gzip.decompress(gzip))
        #expect(!Gzip.isMember(gzip + [0], of: tile))
        #expect(!Gzip.isMember(gzip, of: tile + [0]))
    }
}
