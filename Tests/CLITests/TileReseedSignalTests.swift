import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `serve --tiles FILE --reseed` stopped by a signal while it seeds, as an operator or a service manager stops it:
/// SIGTERM ends the process promptly with nothing half-written left, and after `kill -9` the next start removes the
/// dead process's temporary and seeds the file whole.
@Suite("serve --reseed under SIGTERM and kill -9", .serialized)
struct TileReseedSignalTests {
    /// Zooms 10–19 of the demo district are about 2,400 tiles: seconds of seeding, long enough to be caught mid-way.
    static func arguments(_ directory: TemporaryDirectory) -> [String] {
        ["--tiles", directory.path("district.mbtiles"), "--reseed", "--reseed-zooms", "10-19", "--reseed-threads", "1"]
    }

    @Test("SIGTERM mid-seed: the server exits 0 within seconds and leaves neither the file nor its temporary")
    func terminateMidSeed() throws {
        let served = try ServedStore(serveArguments: Self.arguments)
        try Self.waitUntilSeeding(served)
        let temporaries = Self.temporaries(in: served.directory)
        #expect(temporaries.count == 1, "one temporary while seeding: \(temporaries)")
        let signalled = ContinuousClock.now
        kill(served.process.processIdentifier, SIGTERM)
        let exited = Self.waitForExit(served.process, within: .seconds(30))
        let took = ContinuousClock.now - signalled
        try #require(exited, "still running 30 s after SIGTERM: \(served.serverLog)")
        print("SIGTERM mid-seed: exited \(served.process.terminationStatus) after \(took)")
        #expect(served.process.terminationReason == .exit && served.process.terminationStatus == 0, "\(served.serverLog)")
        // Measured at 0.3–0.9 s on the 1 M city; generous here for a loaded machine and a debug build.
        #expect(took < .seconds(10), "took \(took) to stop")
        #expect(!FileManager.default.fileExists(atPath: served.directory.path("district.mbtiles")), "a half-seeded file was renamed into place")
        #expect(Self.temporaries(in: served.directory).isEmpty, "temporaries left: \(Self.temporaries(in: served.directory))")
    }

    @Test("kill -9 mid-seed: the next server removes the dead one's temporary and seeds the file whole")
    func killMidSeedThenRestart() throws {
        let killed = try ServedStore(serveArguments: Self.arguments)
        try Self.waitUntilSeeding(killed)
        kill(killed.process.processIdentifier, SIGKILL)
        try #require(Self.waitForExit(killed.process, within: .seconds(30)))
        let left = Self.temporaries(in: killed.directory)
        #expect(left == [".district.mbtiles.partial-\(killed.process.processIdentifier)"], "the killed server's temporary: \(left)")
        #expect(!FileManager.default.fileExists(atPath: killed.directory.path("district.mbtiles")))

        let restarted = try ServedStore(over: killed, serveArguments: Self.arguments(killed.directory))
        let health = try Self.waitForHealth(restarted, within: .seconds(180)) { seeded in
            (seeded["seedings"] as? Double ?? 0) >= 1 && seeded["reseeding"] as? String == "idle"
        }
        #expect(health["current"] as? Bool == true, "\(health)")
        #expect(Self.temporaries(in: killed.directory).isEmpty, "temporaries left: \(Self.temporaries(in: killed.directory))")
        let file = killed.directory.path("district.mbtiles")
        #expect(FileManager.default.fileExists(atPath: file))
        // The file is whole: every tile the seeding reports written is in it, down to zoom 19.
        let seeding = try #require(health["last_seeding"] as? [String: Any], "\(health)")
        var configuration = Configuration()
        configuration.readonly = true
        let (rows, deepest) = try DatabaseQueue(path: file, configuration: configuration).read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM tiles") ?? 0, try Int.fetchOne(db, sql: "SELECT max(zoom_level) FROM tiles"))
        }
        #expect(rows > 0 && rows == (seeding["tiles"] as? Double).map { Int($0) }, "\(rows) rows; \(seeding)")
        #expect(deepest == 19)
    }

    /// Polls `/health` until the reseeder says it seeds and its temporary exists.
    static func waitUntilSeeding(_ served: ServedStore) throws {
        _ = try waitForHealth(served, within: .seconds(120)) { seeded in
            seeded["reseeding"] as? String == "seeding" && !temporaries(in: served.directory).isEmpty
        }
    }

    /// `/health`'s `seeded_tiles` once `holds` says so; fails the test past `within` (a seeding that ended before it
    /// was seen fails too: the zooms are then too few for this machine).
    static func waitForHealth(_ served: ServedStore, within limit: Duration,
                              _ holds: ([String: Any]) -> Bool) throws -> [String: Any] {
        let start = ContinuousClock.now
        var last: [String: Any] = [:]
        while ContinuousClock.now - start < limit, served.isRunning {
            if let seeded = try HTTPExchange.run("GET", served.base + "/health", timeout: 10).json?["seeded_tiles"] as? [String: Any] {
                last = seeded
                if holds(seeded) { return seeded }
                if (seeded["seedings"] as? Double ?? 0) >= 1, !holds(seeded), seeded["reseeding"] as? String == "idle" {
                    Issue.record("the seeding ended before the state looked for: \(seeded)")
                    throw CancellationError()
                }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        Issue.record("not reached within \(limit): last \(last); log: \(served.serverLog)")
        throw CancellationError()
    }

    static func temporaries(in directory: TemporaryDirectory) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.url.path)) ?? [])
            .filter { $0.hasPrefix(".district.mbtiles.partial-") }.sorted()
    }

    static func waitForExit(_ process: Process, within limit: Duration) -> Bool {
        let start = ContinuousClock.now
        while process.isRunning, ContinuousClock.now - start < limit { Thread.sleep(forTimeInterval: 0.01) }
        return !process.isRunning
    }
}
