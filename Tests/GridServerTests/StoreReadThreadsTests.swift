import Foundation
import GridModel
@testable import GridServer
import GridStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// Requests that read the store queue on `StoreReadThreads` with the tiles; requests that read nothing answer beside
/// them. Shown by taking every thread of the pool (so nothing queued there can run) rather than by timing.
@Suite("Store work on its own threads", .serialized)
struct StoreReadThreadsTests {
    let demo = DemoStore.shared

    /// Holds every thread of `StoreReadThreads` until `release()`; the work of other suites running meanwhile waits too.
    final class PoolHold: Sendable {
        private let started = Atomic(0)
        private let gate = DispatchSemaphore(value: 0)
        private let tasks: Mutex<[Task<Void, any Error>]> = Mutex([])

        /// Returns once every thread of the pool runs a holding job.
        func take() async throws {
            for _ in 0..<StoreReadThreads.threadCount {
                let task = Task { [self] in
                    try await StoreReadThreads.run {
                        self.started.add(1, ordering: .sequentiallyConsistent)
                        self.gate.wait()
                    }
                }
                tasks.withLock { $0.append(task) }
            }
            while started.load(ordering: .sequentiallyConsistent) < StoreReadThreads.threadCount {
                try await Task.sleep(for: .milliseconds(5))
            }
        }

        func release() async throws {
            for _ in 0..<StoreReadThreads.threadCount { gate.signal() }
            for task in tasks.withLock({ $0 }) { try await task.value }
        }
    }

    final class Count: Sendable {
        let value = Atomic(0)
    }

    /// Slippy-map column and row of a point at zoom `z`.
    static func tile(longitude: Double, latitude: Double, z: Int) -> (x: Int, y: Int) {
        let n = Double(1 << z), s = sin(latitude * .pi / 180)
        return (Int((longitude + 180) / 360 * n), Int((0.5 - log((1 + s) / (1 - s)) / (4 * .pi)) * n))
    }

    @Test("with every store thread taken, requests that read nothing answer; tiles, tilesets, pages, cases and coverage wait, then answer as before")
    func lightRequestsPassQueuedStoreWork() async throws {
        try await application(demo.store).testLive { client in
            let collection = try await client.execute(uri: "/collections/buildings", method: .get).json
            let box = (collection["extent"]?["spatial"]?["bbox"]?.arrayValue?.first?.arrayValue ?? []).compactMap(\.doubleValue)
            try #require(box.count == 4)
            let (x, y) = Self.tile(longitude: (box[0] + box[2]) / 2, latitude: (box[1] + box[3]) / 2, z: 15)
            let queuedPaths = ["/collections/buildings/items?limit=50", "/collections/buildings/items?limit=20&offset=20",
                               "/collections/buildings/items/1", "/collections", "/coverage/summary", "/coverage/runs", "/runs",
                               "/tiles/WebMercatorQuad/15/\(y)/\(x)", "/collections/buildings/items/notanumber",
                               // Tileset metadata and TileJSON read the layers' extent and the coverage fields.
                               "/tiles/WebMercatorQuad", "/tiles/WebMercatorQuad/tilejson?datum=gcj02", "/tiles/WebMercatorQuad/tilejson?datum=bd09",
                               "/collections/buildings/tiles/WebMercatorQuad", "/collections/grids/tiles/WebMercatorQuad/tilejson",
                               // Cases and Open311 read the store (a fixed `now` and window: the same answer before and after).
                               "/collections/cases", "/collections/cases/items?limit=5", "/collections/cases/items/NOCASE", "/cases/stats?now=2026-12-01",
                               "/cases/stats?by=nothing", "/open311/v2/services.json", "/open311/v2/services/NOSERVICE.json",
                               "/open311/v2/requests.json?start_date=2026-01-01&end_date=2026-12-01", "/open311/v2/requests/NOREQUEST.json",
                               "/open311/v2/requests.json?status=maybe"]
                + (0..<16).map { "/tiles/WebMercatorQuad/16/\(2 * y + $0 / 4)/\(2 * x + $0 % 4)" }
            // The answers of the same requests with the pool free: the queued ones must be these, byte for byte.
            var before: [String: (HTTPResponse.Status, String?, ByteBuffer)] = [:]
            for path in queuedPaths {
                let response = try await client.execute(uri: path, method: .get)
                before[path] = (response.status, response.headers[.eTag], response.body)
            }

            let hold = PoolHold()
            try await hold.take()
            let answered = Count()
            let queued = queuedPaths.map { path in
                Task {
                    let response = try await client.execute(uri: path, method: .get)
                    answered.value.add(1, ordering: .sequentiallyConsistent)
                    return (path, response)
                }
            }
            // Requests that read nothing answer while every store thread is held and the store work waits behind it.
            do {
                for path in ["/conformance", "/api", "/collections/buildings/queryables", "/metrics", "/", "/map?lib=leaflet", "/health",
                             "/tiles", "/collections/buildings/tiles", "/open311/v2/discovery.json"] {
                    let response = try await client.execute(uri: path, method: .get)
                    #expect(response.status == .ok, "\(path)")
                }
                #expect(answered.value.load(ordering: .sequentiallyConsistent) == 0, "no store work ran while the pool was held")
            } catch {
                try await hold.release()
                throw error
            }
            try await hold.release()
            for task in queued {
                let (path, response) = try await task.value
                let expected = try #require(before[path])
                #expect(response.status == expected.0, "\(path)")
                #expect(response.headers[.eTag] == expected.1, "\(path)")
                #expect(response.body == expected.2, "\(path)")
            }
        }
    }

    @Test("a page that waited for a store thread past the request's deadline is answered the timeout problem, as a slow read is")
    func deadlineCarriedToTheStoreThreads() async throws {
        var limited = settings()
        limited.limits.requestTimeoutSeconds = 0.3
        try await application(demo.store, limited).testLive { client in
            // A page of more than 256 features (reading checks the deadline every 256), none of them read before (read
            // features are kept and a kept one is not read again).
            let path = "/collections/buildings/items?limit=1000"
            let free = try await client.execute(uri: "/collections/buildings/items?limit=1", method: .get)
            #expect(free.status == .ok)
            let hold = PoolHold()
            try await hold.take()
            let page = Task { try await client.execute(uri: path, method: .get) }
            // Long past the deadline of a request sent just before.
            try await Task.sleep(for: .seconds(2))
            try await hold.release()
            let late = try await page.value
            #expect(late.status == .serviceUnavailable)
            #expect(try late.json["code"]?.stringValue == "timeout")
        }
    }
}
