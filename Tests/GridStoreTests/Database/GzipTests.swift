import Foundation
import GridModel
import GridStore
import GridTiles
import Testing

/// gzip through libdeflate: what any gzip reader (here zlib's inflate) takes back to the very bytes, at every level,
/// from many threads at once (the compressors are kept and reused).
@Suite("Gzip")
struct GzipTests {
    @Test("Monaco's drawn tiles, empty and incompressible bodies: one gzip member that inflates to the input, at each level")
    func roundTrips() throws {
        var bodies: [[UInt8]] = [[], [0], Array(repeating: 7, count: 1 << 20)]
        var generator = SystemRandomNumberGenerator()
        bodies.append((0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        if SharedData.available {
            let temporary = try TemporaryStore()
            _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("dense_monaco_2021-04-19.osm.pbf"))
            let service = TileService(store: temporary.store)
            let sources = FeatureCollection.all.map { TileLayerSource(collection: $0) }
            let n = 1 << 15
            let (x, y) = (Int(WebMercator.worldX(longitude: 7.4246) * Double(n)), Int(WebMercator.worldY(latitude: 43.7384) * Double(n)))
            for dx in -1...1 {
                let tile = try #require(TileAddress(z: 15, x: x + dx, y: y))
                bodies.append(try service.draw(sources, tile))
            }
            #expect(bodies.suffix(3).contains { $0.count > 10_000 })
        } else {
            print("GzipTests: \(SharedData.skipReason) — checked on generated bodies only")
        }
        for level: Int32 in [1, 5, 9, 12] {
            for body in bodies {
                let compressed = try #require(Gzip.compress(body, level: level), "level \(level), \(body.count) bytes")
                #expect(Gzip.decompress(compressed) == body, "level \(level), \(body.count) bytes")
                #expect(Gzip.isMember(compressed, of: body), "level \(level), \(body.count) bytes")
            }
        }
        // Out of libdeflate's levels: nil (the caller sends the body as it is), never a trap.
        #expect(Gzip.compress([1, 2, 3], level: 13) == nil)
        #expect(Gzip.compress([1, 2, 3], level: -1) == nil)
    }

    @Test("Compressing from many threads at once, large bodies between small ones: each result is its own input's")
    func concurrent() async throws {
        let results = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<64 {
                group.addTask {
                    // Bodies of different sizes, so a kept compressor's scratch buffer is reused, grown and dropped.
                    let size = task % 8 == 0 ? (5 << 20) + task : 1_400 + task * 997
                    let body = (0..<size).map { UInt8(truncatingIfNeeded: ($0 * 31 + task) % 251 ^ ($0 >> 7)) }
                    guard let compressed = Gzip.compress(body, level: 1) else { return false }
                    return Gzip.decompress(compressed) == body
                }
            }
            var all: [Bool] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 64 && results.allSatisfy { $0 })
    }
}
