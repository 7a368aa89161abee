import Foundation
import GRDB
import GridModel
import GridStore
import Hummingbird

/// `/runs`: grid reassignment runs. A POST is accepted at once (202) with the run id; the plan is computed in
/// the background and lands under that id as a dry run, which `apply` and `revert` then change.
struct RunRoutes: Sendable {
    let state: ServerState

    struct RunDocument: Encodable {
        var id: Int64
        var createdAt: String
        var status: String
        var parameters: GridRuns.Parameters?
        var metrics: GridRuns.Metrics?
        var warnings: [String]?
        var error: String?
        /// Dry runs only: whether buildings, grids, communities, facilities or the network changed since the plan was computed.
        var stale: Bool?
        var changedSince: [String]?
        var links: [[String: String]]
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/runs") { request, _ in
            let base = Responses.base(request)
            let runs = try GridRuns.list(store: state.store).map { Self.document($0, base: base, store: state.store) }
            return try Self.encoded(["runs": runs], request: request, cacheable: true)
        }
        router.post("/runs") { request, _ in
            try WriteAuthorization.check(request, token: state.settings.writeToken)
            let parameters = try Self.parameters(try await AnalysisRoutes.jsonBody(request, limit: state.settings.limits.maximumBodyBytes))
            // Everything that can be checked against the store is, before 202: a run that fails later is the data's doing.
            try Self.validate(parameters, store: state.store)
            let slots = state.runSlots
            try slots.acquire()
            let reserved: GridRunRequests.Request
            do {
                reserved = try GridRunRequests.reserve(store: state.store, parameters: parameters)
            } catch {
                slots.release()
                throw error
            }
            let store = state.store
            // A run is minutes of CPU: a thread of its own keeps it off the threads that answer requests.
            Thread.detachNewThread {
                ComputeSlots.yieldToRequests()
                defer { slots.release() }
                var failure: String?
                do {
                    _ = try GridRuns.rebalance(store: store, parameters: parameters, id: reserved.id)
                } catch {
                    failure = RunFailure.message(for: error, run: reserved.id)
                }
                RunFailure.finish(store: store, id: reserved.id, error: failure)
            }
            let base = Responses.base(request)
            let document = RunDocument(id: reserved.id, createdAt: reserved.createdAt, status: "running", parameters: parameters,
                                       links: Self.links(reserved.id, base: base))
            return try Self.encoded(document, request: request, status: .accepted, cacheable: false,
                                    headers: [.location: base + "/runs/\(reserved.id)"])
        }
        router.get("/runs/:runId") { request, context in
            let id = try Self.runID(context)
            let base = Responses.base(request)
            if let run = try? GridRuns.get(store: state.store, id: id) {
                return try Self.encoded(Self.document(run, base: base, store: state.store), request: request, cacheable: false)
            }
            guard let pending = try GridRunRequests.get(store: state.store, id: id) else { throw APIProblem.notFound("no grid run \(id)") }
            let document = RunDocument(id: id, createdAt: pending.createdAt, status: pending.status.rawValue, error: pending.error,
                                       links: Self.links(id, base: base))
            return try Self.encoded(document, request: request, cacheable: false)
        }
        router.get("/runs/:runId/diff") { request, context in
            let id = try Self.existingRun(context, state: state)
            let moves = try GridRuns.moves(store: state.store, id: id)
            let changed = moves.filter { $0.from != $0.to }
            let items: [JSONValue] = changed.map { move in
                .object(["building": .number(Double(move.building)), "name": move.name.map(JSONValue.string) ?? .null,
                         "source_id": move.sourceID.map(JSONValue.string) ?? .null, "households": .number(Double(move.households)),
                         "from": move.from.map(JSONValue.string) ?? .null, "to": .string(move.to)])
            }
            return Responses.json(.object([
                "run": .number(Double(id)), "buildings_moved": .number(Double(changed.count)),
                "households_moved": .number(Double(changed.reduce(0) { $0 + $1.households })), "moves": .array(items),
            ]), request: request)
        }
        router.get("/runs/:runId/grids") { request, context in
            let id = try Self.existingRun(context, state: state)
            let grids = try GridRuns.proposedGrids(store: state.store, id: id)
            var body = Array(#"{"type":"FeatureCollection","features":["#.utf8)
            for (index, grid) in grids.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                GeoJSON.appendFeature(id: .string(grid.code), geometry: .multiPolygon(grid.shape), properties: [
                    ("code", .string(grid.code)), ("name", .string(grid.name)), ("community", .string(grid.community)),
                    ("households", .number(Double(grid.households))), ("buildings", .number(Double(grid.buildings))),
                    ("area_m2", .number((grid.area * 10).rounded() / 10)), ("polsby_popper", .number((grid.polsbyPopper * 1000).rounded() / 1000)),
                ], precision: 7, to: &body)
            }
            body.append(contentsOf: "]}".utf8)
            return Responses.bytes(body, contentType: Responses.geoJSON, request: request)
        }
        router.post("/runs/:runId/apply") { request, context in
            try WriteAuthorization.check(request, token: state.settings.writeToken)
            let id = try Self.existingRun(context, state: state)
            try Self.conflictOnError { try GridRuns.apply(store: state.store, id: id) }
            return try Self.encoded(Self.document(try GridRuns.get(store: state.store, id: id), base: Responses.base(request)),
                                    request: request, cacheable: false)
        }
        router.post("/runs/:runId/revert") { request, context in
            try WriteAuthorization.check(request, token: state.settings.writeToken)
            let id = try Self.existingRun(context, state: state)
            try Self.conflictOnError { try GridRuns.revert(store: state.store, id: id) }
            return try Self.encoded(Self.document(try GridRuns.get(store: state.store, id: id), base: Responses.base(request)),
                                    request: request, cacheable: false)
        }
    }

    /// apply/revert refuse stale or repeated changes with a user error: that is a conflict with the store's state.
    static func conflictOnError(_ body: () throws -> Void) throws {
        do { try body() } catch let error as StoreError where error.isUserError { throw APIProblem.conflict(error.description) }
    }

    static func runID(_ context: BasicRequestContext) throws -> Int64 {
        let text = context.parameters.get("runId") ?? ""
        guard let id = Int64(text) else { throw APIProblem.notFound("no grid run \"\(text)\"; run ids are whole numbers") }
        return id
    }

    static func existingRun(_ context: BasicRequestContext, state: ServerState) throws -> Int64 {
        let id = try runID(context)
        guard (try? GridRuns.get(store: state.store, id: id)) != nil else {
            if let pending = try GridRunRequests.get(store: state.store, id: id) {
                throw APIProblem.conflict("grid run \(id) is \(pending.status.rawValue)\(pending.error.map { ": \($0)" } ?? ""); it has no plan yet")
            }
            throw APIProblem.notFound("no grid run \(id)")
        }
        return id
    }

    static func document(_ run: GridRuns.Run, base: String, store: Store? = nil) -> RunDocument {
        let freshness = store.flatMap { try? GridRunVersions.freshness(store: $0, id: run.id) }
        return RunDocument(id: run.id, createdAt: run.createdAt, status: run.status, parameters: run.parameters, metrics: run.metrics,
                           warnings: run.warnings, stale: freshness?.isStale, changedSince: freshness?.changedLayers, links: links(run.id, base: base))
    }

    static func links(_ id: Int64, base: String) -> [[String: String]] {
        [["rel": "self", "href": base + "/runs/\(id)"], ["rel": "diff", "href": base + "/runs/\(id)/diff"],
         ["rel": "grids", "href": base + "/runs/\(id)/grids"], ["rel": "apply", "href": base + "/runs/\(id)/apply"],
         ["rel": "revert", "href": base + "/runs/\(id)/revert"]]
    }

    static func encoded(_ value: some Encodable, request: Request, status: HTTPResponse.Status = .ok, cacheable: Bool,
                        headers: HTTPFields = [:]) throws -> Response {
        Responses.bytes(Array(try JSONEncoder.sortedSnakeCase.encode(value)), contentType: Responses.json, request: request, status: status,
                        headers: headers, cacheable: cacheable)
    }

    /// The POST body: {"communities": [...], "min": 300, "max": 500, "grid_count": n, "from_current": true, "stability": 0.7,
    /// "barriers": ["primary", "secondary"]}.
    static func parameters(_ body: JSONValue) throws -> GridRuns.Parameters {
        guard case .object(let fields) = body else { throw APIProblem.badBody("the body must be a JSON object") }
        let known: Set<String> = ["communities", "min", "max", "grid_count", "from_current", "stability", "barriers"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIProblem.badBody("unknown field \"\(unknown)\"; accepted: \(known.sorted().joined(separator: ", "))", field: unknown)
        }
        var parameters = GridRuns.Parameters()
        func whole(_ name: String) throws -> Int? {
            guard let value = fields[name] else { return nil }
            guard let number = BodyNumbers.integer(value, in: 1...maximumWhole) else {
                throw APIProblem.badBody("\(name) must be a whole number from 1 to \(maximumWhole)", field: name)
            }
            return number
        }
        if let communities = fields["communities"] {
            guard let items = communities.arrayValue, items.allSatisfy(Self.isString) else {
                throw APIProblem.badBody("communities must be an array of 12-digit community codes", field: "communities")
            }
            parameters.communities = items.compactMap(\.stringValue)
        }
        if let barriers = fields["barriers"] {
            guard let items = barriers.arrayValue, items.allSatisfy(Self.isString) else {
                throw APIProblem.badBody("barriers must be an array of highway classes (e.g. [\"primary\", \"secondary\"])", field: "barriers")
            }
            parameters.barriers = items.compactMap(\.stringValue)
        }
        if let minimum = try whole("min") { parameters.minimum = minimum }
        if let maximum = try whole("max") { parameters.maximum = maximum }
        guard parameters.minimum <= parameters.maximum else {
            // Each field is valid on its own (a 400 would say otherwise); together they are not.
            throw APIProblem.unprocessable("invalid-range", "min (\(parameters.minimum)) is above max (\(parameters.maximum)); the defaults are 300 and 500",
                                           parameter: "min")
        }
        parameters.gridCount = try whole("grid_count")
        if let current = fields["from_current"] {
            guard let flag = current.boolValue else { throw APIProblem.badBody("from_current must be true or false", field: "from_current") }
            parameters.fromCurrent = flag
        }
        if let stability = fields["stability"] {
            guard let value = BodyNumbers.number(stability), (0...1).contains(value) else {
                throw APIProblem.badBody("stability must be a number from 0 (compactness only) to 1 (stability only)", field: "stability")
            }
            parameters.stability = value
        }
        return parameters
    }

    /// JSON strings only: a number is not a community code or a highway class, though it prints as one.
    static func isString(_ value: JSONValue) -> Bool {
        if case .string = value { return true }
        return false
    }

    /// Largest `min`, `max` and `grid_count` taken (households or grids; far above any community).
    static let maximumWhole = 999_999_999

    /// The checks the run itself would make against the store, made before the request is accepted.
    static func validate(_ parameters: GridRuns.Parameters, store: Store) throws {
        // OSM highway classes are ASCII; the OpenAPI document gives the same pattern.
        for name in parameters.barriers ?? [] where name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            throw APIProblem.badBody("barriers: \"\(name)\" is not a highway class (letters, digits and _; e.g. primary, secondary, trunk)",
                                     field: "barriers")
        }
        let known = try store.read { db in Set(try String.fetchAll(db, sql: "SELECT code FROM communities")) }
        guard !known.isEmpty else {
            throw APIProblem.unprocessable("no-communities", "the store has no communities; import them first", parameter: "communities")
        }
        if let unknown = parameters.communities.first(where: { !known.contains($0) }) {
            throw APIProblem.unprocessable("unknown-community", "communities: no community \"\(unknown)\" in the store", parameter: "communities")
        }
    }
}
