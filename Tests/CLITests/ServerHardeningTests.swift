import Foundation
import Testing

/// The reproducers of ../shared/reliability beside this checkout (CI has them; a fresh clone may not).
enum Reliability {
    static let folder = SharedData.folder("reliability")
    static var present: Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent("README.md").path) }
    static let skipReason: Comment = "../shared/reliability is not beside this checkout"
}

/// Strings a client must never see in a run's error: SQL and the command line's flags.
private let leakedWords = ["SQL", "sqlite", "BEGIN", "TRANSACTION", "--min", "--max", "--grids", "--community", "--barriers", "--stability"]

@Suite("communitygrid serve stays up under hostile requests", .serialized)
struct ServerHardeningTests {
    @Test("reproducer http-isochrone-facility-overflow.sh: 400 problem+json naming facility, and the server keeps serving",
          .enabled(if: Reliability.present, Reliability.skipReason))
    func facilityOverflowReproducer() throws {
        let server = try ServedStore()
        let result = try Shell.run("/bin/sh", [Reliability.folder.appendingPathComponent("http-isochrone-facility-overflow.sh").path],
                                   environment: ["PORT": String(server.port)])
        let problem = try #require((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any], "\(result.stdout)")
        #expect(problem["status"] as? Int == 400)
        #expect(problem["parameter"] as? String == "facility")
        #expect(server.isRunning)
        #expect(try HTTPExchange.run("GET", server.base + "/health").status == 200)
    }

    @Test("every numeric field of a request, past any range or not a number, is a 4xx problem naming it; the process survives")
    func numericFields() throws {
        let server = try ServedStore()
        let auth = ["Authorization": "Bearer \(ServedStore.token)"]
        let posts: [(String, String, String, [String: String])] = [
            ("/isochrones", #"{"facility": 1e20}"#, "facility", [:]), ("/isochrones", #"{"facility": -9.3e18}"#, "facility", [:]),
            ("/isochrones", #"{"facility": 1.5}"#, "facility", [:]), ("/isochrones", #"{"facility": "12"}"#, "facility", [:]),
            ("/isochrones", #"{"facility": 9223372036854775807}"#, "facility", [:]),
            ("/isochrones", #"{"lon": 1e308, "lat": 39.9}"#, "lon", [:]), ("/isochrones", #"{"lon": 116.3, "lat": -1e308}"#, "lat", [:]),
            ("/isochrones", #"{"category": "school", "minutes": [1e308]}"#, "minutes", [:]),
            ("/isochrones", #"{"category": "school", "minutes": []}"#, "minutes", [:]),
            ("/isochrones", #"{"category": "school", "meters": [-1e308]}"#, "meters", [:]),
            ("/isochrones", #"{"category": "school", "speed": 1e300}"#, "speed", [:]),
            ("/runs", #"{"min": 1e20}"#, "min", auth), ("/runs", #"{"max": -1}"#, "max", auth),
            ("/runs", #"{"grid_count": 1e300}"#, "grid_count", auth), ("/runs", #"{"grid_count": 2.5}"#, "grid_count", auth),
            ("/runs", #"{"stability": 1e20}"#, "stability", auth), ("/runs", #"{"min": "300"}"#, "min", auth),
            ("/runs", #"{"barriers": [7]}"#, "barriers", auth), ("/runs", #"{"communities": ["000000000000"]}"#, "communities", auth),
        ]
        for (path, body, parameter, headers) in posts {
            let response = try HTTPExchange.run("POST", server.base + path, headers: headers, body: body)
            #expect((400..<500).contains(response.status), "\(path) \(body): \(response.status) \(response.body)")
            #expect(response.headers["content-type"] == "application/problem+json", "\(path) \(body)")
            #expect(response.json?["parameter"] as? String == parameter, "\(path) \(body): \(response.body)")
        }
        let gets: [(String, String?)] = [
            ("/isochrones?lon=1e400&lat=39.9", "lon"), ("/isochrones?lon=116.3&lat=nan", "lat"), ("/isochrones?lon=116.3&lat=39.9&minutes=inf", "minutes"),
            ("/isochrones?lon=116.3&lat=39.9&speed=-0", "speed"), ("/isochrones?lon=116.3&lat=39.9&lat=39.9", "lat"),
            ("/collections/buildings/items?limit=99999999999999999999", "limit"), ("/collections/buildings/items?offset=-1", "offset"),
            ("/collections/buildings/items?bbox=0,0,1e400,1", "bbox"), ("/collections/buildings/items?households=1e30", "households"), ("/collections/buildings/items?levels=inf", "levels"),
            ("/collections/buildings/items/99999999999999999999", nil), ("/runs/99999999999999999999", nil), ("/runs/-5/diff", nil),
        ]
        for (uri, parameter) in gets {
            let response = try HTTPExchange.run("GET", server.base + uri)
            #expect((400..<500).contains(response.status), "\(uri): \(response.status) \(response.body)")
            #expect(response.headers["content-type"] == "application/problem+json", "\(uri)")
            if let parameter { #expect(response.json?["parameter"] as? String == parameter, "\(uri): \(response.body)") }
        }
        #expect(server.isRunning)
        #expect(try HTTPExchange.run("GET", server.base + "/health").status == 200)
    }

    @Test("reproducer http-run-failure-leaks-sql.sh: the run ends (done or failed), and a failure says no SQL",
          .enabled(if: Reliability.present, Reliability.skipReason))
    func runFailureReproducer() async throws {
        let server = try ServedStore()
        let result = try await Shell.detached("/bin/sh", [Reliability.folder.appendingPathComponent("http-run-failure-leaks-sql.sh").path],
                                              environment: ["PORT": String(server.port), "DB": server.db, "T": ServedStore.token])
        let run = try #require((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any], "\(result.stdout) \(result.stderr)")
        let id = try #require(run["id"] as? Int)
        let final = try await Self.waitForRun(id, server: server)
        #expect(["dry_run", "failed"].contains(final["status"] as? String), "\(final)")
        let error = final["error"] as? String ?? ""
        for word in leakedWords { #expect(!error.contains(word), "\(error)") }
        #expect(server.isRunning)
    }

    @Test("a store locked by another writer: a write answers 503 with Retry-After; a run caught by the lock ends failed with a typed message; a second run meanwhile is 503 busy")
    func lockedStore() async throws {
        // Runs wait for `runResumeFile` before saving their plan: the store is locked before the save, never after.
        let server = try ServedStore(pausingRuns: true)
        let auth = ["Authorization": "Bearer \(ServedStore.token)"]
        // Phase 1: the store is locked before the request: reserving the run waits out the busy timeout, then 503.
        let db = server.db
        // The lock is held until the answer is in, however long a loaded machine takes to get the request to its write.
        async let shortLock: Void = Self.lockStore(db, seconds: 300, marker: db + ".locked-1", release: db + ".release-1")
        try await Self.waitForLock(db + ".locked-1")
        let locked = try HTTPExchange.run("POST", server.base + "/runs", headers: auth, body: "{}")
        FileManager.default.createFile(atPath: db + ".release-1", contents: nil)
        #expect(locked.status == 503, "\(locked.body)")
        #expect(locked.headers["retry-after"] != nil)
        #expect(locked.json?["code"] as? String == "store-locked")
        try await shortLock

        // Phase 2: a run accepted, then the store locked past the busy timeout while it would save its plan.
        let accepted = try HTTPExchange.run("POST", server.base + "/runs", headers: auth, body: "{}")
        #expect(accepted.status == 202, "\(accepted.body)")
        let id = try #require(accepted.json?["id"] as? Int)
        // Held until the server logs the run's failure, however long a loaded machine takes to bring the run to its save.
        async let longLock: Void = Self.lockStore(db, seconds: 900, marker: db + ".locked-2", release: db + ".release-2")
        try await Self.waitForLock(db + ".locked-2")
        let second = try HTTPExchange.run("POST", server.base + "/runs", headers: auth, body: "{}")
        #expect(second.status == 503, "\(second.body)")
        #expect(second.headers["retry-after"] != nil)
        // Only now, with the lock held, may the accepted run go on to its save.
        FileManager.default.createFile(atPath: server.runResumeFile, contents: nil)
        let start = ContinuousClock.now
        while !server.serverLog.contains("grid run failed"), ContinuousClock.now - start < .seconds(890) {
            try await Task.sleep(for: .milliseconds(100))
        }
        FileManager.default.createFile(atPath: db + ".release-2", contents: nil)
        try await longLock
        let final = try await Self.waitForRun(id, server: server)
        let status = final["status"] as? String
        #expect(status == "failed", "\(final)")
        let error = final["error"] as? String ?? ""
        #expect(error.contains("locked"), "\(error)")
        for word in leakedWords { #expect(!error.contains(word), "\(error)") }
        #expect(server.isRunning)
    }

    @Test("OpenAPI-driven fuzz (schemathesis, seeded, bounded): no server error, no schema violation, the process still up")
    func schemathesisFuzz() async throws {
        guard let schemathesis = Shell.which("schemathesis") else {
            print("skipped: schemathesis is not installed (scripts/setup.sh installs it from PyPI)")
            return
        }
        let server = try ServedStore()
        let config = server.directory.url.appendingPathComponent("schemathesis.toml")
        try Data(Self.schemathesisConfig.utf8).write(to: config)
        let start = ContinuousClock.now
        let result = try await Shell.detached(schemathesis, [
            "--config-file", config.path, "run", server.base + "/api", "--checks", "all", "--seed", "20261206",
            "--max-examples", "100", "--workers", "1", "--no-color", "--generation-database", "none",
            "--header", "Authorization: Bearer \(ServedStore.token)", "--request-timeout", "30",
        ], directory: server.directory.url)
        let summary = result.stdout.components(separatedBy: "\n").suffix(30).joined(separator: "\n")
        print("schemathesis in \(ContinuousClock.now - start):\n\(summary)")
        #expect(result.status == 0, "\(result.stdout.suffix(12_000))\n\(result.stderr.suffix(2000))")
        #expect(!result.stdout.contains("Server error"))
        #expect(!result.stdout.contains("Response violates schema"))
        #expect(server.isRunning, "\(server.serverLog.suffix(3000))")
        #expect(try HTTPExchange.run("GET", server.base + "/health").status == 200)
    }

    /// Refusals a schema-valid request may get because of the data or a rule JSON Schema cannot state, not its
    /// shape: a point far from the network or an unknown facility (422), a run still computing or a plan already
    /// applied (409), a run refused while another computes (503 with Retry-After), communities not in the store and
    /// min above max (422), a category outside the run's profile or a run not stored (422, 404), a summary's theme
    /// that is not one of the run's (400); on items, bbox
    /// values in order, 4 or 6 of them (an OpenAPI oneOf would say it, but schemathesis then sends the array
    /// exploded), property names of the collection (400); on cases, a bbox in order, dates and times that parse and
    /// come in order, an extension within a year (400), a transition the case's state allows (409), and Open311's
    /// dates (400).
    static let schemathesisConfig = """
        [[operations]]
        include-name = "GET /collections/{collectionId}/items"
        checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404"]

        [[operations]]
        include-path = "/isochrones"
        checks.positive_data_acceptance.expected-statuses = ["2xx", "422"]

        [[operations]]
        include-path = "/coverage/minutes"
        checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "422"]

        [[operations]]
        include-path = "/coverage/summary"
        checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404"]

        [[operations]]
        include-name = "POST /runs"
        checks.positive_data_acceptance.expected-statuses = ["202", "422", "503"]
        checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]

        [[operations]]
        include-path-regex = "^/(collections/cases/items|cases/stats|open311/v2/requests(\\\\.json)?)$"
        checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "404"]

        [[operations]]
        include-name = "POST /cases/{code}/transitions"
        checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404", "409"]

        [[operations]]
        include-path-regex = "^/runs/\\\\{runId\\\\}/(diff|grids|apply|revert)$"
        checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "409"]
        """

    static func waitForRun(_ id: Int, server: ServedStore) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        // Bounded by time: a run computes at a lower priority, which a loaded machine can starve for minutes.
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(600) {
            last = try HTTPExchange.run("GET", server.base + "/runs/\(id)").json ?? [:]
            if let status = last["status"] as? String, status != "running" { return last }
            try await Task.sleep(for: .milliseconds(250))
        }
        return last
    }

    /// Holds SQLite's write lock on the store from another process, as an import would.
    /// Waits (at most 120 s) until the locking process says it holds the lock: a fixed sleep is too short on a busy machine.
    static func waitForLock(_ marker: String) async throws {
        let start = ContinuousClock.now
        while !FileManager.default.fileExists(atPath: marker) {
            guard ContinuousClock.now - start < .seconds(120) else { throw ServedStore.ServeError.setup("the store was not locked within 120 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Holds an exclusive lock on the store for `seconds`, or until the file `release` appears; `marker` is created once
    /// the lock is held.
    static func lockStore(_ db: String, seconds: Double, marker: String, release: String = "") async throws {
        let script = """
            import os,sqlite3,sys,time
            c=sqlite3.connect(sys.argv[1],isolation_level=None); c.execute('BEGIN EXCLUSIVE'); open(sys.argv[3],'w').close()
            end=time.monotonic()+float(sys.argv[2])
            while time.monotonic()<end and not (sys.argv[4] and os.path.exists(sys.argv[4])): time.sleep(0.05)
            c.execute('ROLLBACK')
            """
        let result = try await Shell.detached("/usr/bin/env", ["python3", "-c", script, db, String(seconds), marker, release])
        guard result.status == 0 else { throw ServedStore.ServeError.setup("lock: \(result.stderr)") }
    }
}
