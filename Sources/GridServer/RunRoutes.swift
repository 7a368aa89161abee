import Foundation
import GridModel
import GridServices
import GridStore
import Hummingbird
import Logging

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
            try await StoreReadThreads.run {
                let base = Responses.base(request)
                let runs = try GridRuns.list(store: state.store).map { Self.document($0, base: base, store: state.store) }
                return try Self.encoded(["runs": runs], request: request, cacheable: true)
            }
        }
        router.post("/runs") { request, _ in
            try WriteAuthorization.check(request, token: state.settings.writeToken)
            let parameters = try Self.parameters(try await AnalysisRoutes.jsonBody(request, limit: state.settings.limits.maximumBodyBytes))
            return try await StoreReadThreads.run {
                // Everything that can be checked against the store is, before 202: a run that fails later is the data's doing.
                _ = try Self.problemOnError { try GridRebalance.validate(parameters, store: state.store) }
                let slots = state.runSlots
                try slots.acquire()
                let reserved: GridRunRequests.Request
                do {
                    // A run is minutes of CPU: its thread yields to the threads that answer requests.
                    reserved = try Self.problemOnError {
                        try GridRunJob.start(store: state.store, parameters: parameters, prepare: ComputeSlots.yieldToRequests, log: Self.log,
                                             finished: slots.release)
                    }
                } catch {
                    slots.release()
                    throw error
                }
                let base = Responses.base(request)
                let document = RunDocument(id: reserved.id, createdAt: reserved.createdAt, status: "running", parameters: parameters,
                                           links: Self.links(reserved.id, base: base))
                return try Self.encoded(document, request: request, status: .accepted, cacheable: false,
                                        headers: [.location: base + "/runs/\(reserved.id)"])
            }
        }
        router.get("/runs/:runId") { request, context in
            let id = try Self.runID(context)
            return try await StoreReadThreads.run {
                let base = Responses.base(request)
                if let run = try? GridRuns.get(store: state.store, id: id) {
                    return try Self.encoded(Self.document(run, base: base, store: state.store), request: request, cacheable: false)
                }
                guard let pending = try GridRunRequests.get(store: state.store, id: id) else { throw APIProblem.notFound("no grid run \(id)") }
                let document = RunDocument(id: id, createdAt: pending.createdAt, status: pending.status.rawValue, error: pending.error,
                                           links: Self.links(id, base: base))
                return try Self.encoded(document, request: request, cacheable: false)
            }
        }
        router.get("/runs/:runId/diff") { request, context in
            let id = try Self.runID(context)
            return try await StoreReadThreads.run {
                try Self.existingRun(id, state: state)
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
        }
        router.get("/runs/:runId/grids") { request, context in
            let id = try Self.runID(context)
            return try await StoreReadThreads.run {
                try Self.existingRun(id, state: state)
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
        }
        for change in GridRuns.Change.allCases {
            router.post("/runs/:runId/\(change.rawValue)") { request, context in
                try WriteAuthorization.check(request, token: state.settings.writeToken)
                let id = try Self.runID(context)
                return try await StoreReadThreads.run {
                    try Self.existingRun(id, state: state)
                    try Self.conflictOnError { try GridRuns.perform(change, store: state.store, id: id) }
                    return try Self.encoded(Self.document(try GridRuns.get(store: state.store, id: id), base: Responses.base(request)),
                                            request: request, cacheable: false)
                }
            }
        }
    }

    static let logger = Logger(label: "communitygrid.runs")

    @Sendable static func log(_ event: GridRunJob.Event) {
        switch event {
        case .failed(let run, let error): logger.error("grid run failed", metadata: ["run": "\(run)", "error": "\(error)"])
        case .statusRetry(let run, let error):
            logger.warning("grid run status not saved yet; retrying", metadata: ["run": "\(run)", "error": "\(error)"])
        case .statusLost(let run, let error): logger.error("grid run status not saved", metadata: ["run": "\(run)", "error": "\(error)"])
        }
    }

    /// A run's parameters refused by the checks the run makes: the problem names the body's field.
    static func problemOnError<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as RunParameterError {
            let detail = error.description
            switch error.problem {
            case .range: throw APIProblem.unprocessable("invalid-range", detail, parameter: error.field.rawValue)
            case .noCommunities: throw APIProblem.unprocessable("no-communities", detail, parameter: error.field.rawValue)
            case .unknownCommunity: throw APIProblem.unprocessable("unknown-community", detail, parameter: error.field.rawValue)
            case .gridCount, .stability, .barrier: throw APIProblem.badBody(detail, field: error.field.rawValue)
            }
        }
    }

    /// apply/revert refuse stale or repeated changes with a user error: that is a conflict with the store's state.
    static func conflictOnError(_ body: () throws -> Void) throws {
        do { try body() } catch let error as StoreError where error.isUserError { throw APIProblem.conflict(error.description) }
    }

    static func runID(_ context: BasicRequestContext) throws -> Int64 {
        let text = context.parameters.get("runId") ?? ""
        guard let id = BodyNumbers.id(text) else { throw APIProblem.notFound("no grid run \"\(text)\"; run ids are whole numbers") }
        return id
    }

    /// Refuses a run id the store holds no plan for: 404 when unknown, 409 while it is still computed or failed.
    static func existingRun(_ id: Int64, state: ServerState) throws {
        guard (try? GridRuns.get(store: state.store, id: id)) != nil else {
            if let pending = try GridRunRequests.get(store: state.store, id: id) {
                throw APIProblem.conflict("grid run \(id) is \(pending.status.rawValue)\(pending.error.map { ": \($0)" } ?? ""); it has no plan yet")
            }
            throw APIProblem.notFound("no grid run \(id)")
        }
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

    /// The POST body, in the run vocabulary (`GridRuns.Parameters.Field`): {"communities": [...], "min": 300, "max": 500,
    /// "grid_count": n, "from_current": true, "stability": 0.7, "barriers": ["primary", "secondary"]}. Each field is
    /// checked alone here (400); the checks of the run itself follow (`GridRebalance.validate`).
    static func parameters(_ body: JSONValue) throws -> GridRuns.Parameters {
        typealias Field = GridRuns.Parameters.Field
        guard case .object(let fields) = body else { throw APIProblem.badBody("the body must be a JSON object") }
        let known = Field.allCases.map(\.rawValue)
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIProblem.badBody("unknown field \"\(unknown)\"; accepted: \(known.sorted().joined(separator: ", "))", field: unknown)
        }
        var parameters = GridRuns.Parameters()
        func whole(_ field: Field) throws -> Int? {
            guard let value = fields[field.rawValue] else { return nil }
            guard let number = BodyNumbers.integer(value, in: 1...maximumWhole) else {
                throw APIProblem.badBody("\(field.rawValue) must be a whole number from 1 to \(maximumWhole)", field: field.rawValue)
            }
            return number
        }
        func strings(_ field: Field, _ what: String) throws -> [String]? {
            guard let value = fields[field.rawValue] else { return nil }
            guard let items = value.arrayValue, items.allSatisfy(Self.isString) else {
                throw APIProblem.badBody("\(field.rawValue) must be an array of \(what)", field: field.rawValue)
            }
            return items.compactMap(\.stringValue)
        }
        if let communities = try strings(.communities, "12-digit community codes") { parameters.communities = communities }
        parameters.barriers = try strings(.barriers, "highway classes (e.g. [\"primary\", \"secondary\"])")
        if let minimum = try whole(.minimum) { parameters.minimum = minimum }
        if let maximum = try whole(.maximum) { parameters.maximum = maximum }
        parameters.gridCount = try whole(.gridCount)
        if let current = fields[Field.fromCurrent.rawValue] {
            guard let flag = current.boolValue else { throw APIProblem.badBody("from_current must be true or false", field: Field.fromCurrent.rawValue) }
            parameters.fromCurrent = flag
        }
        if let stability = fields[Field.stability.rawValue] {
            guard let value = BodyNumbers.number(stability), (0...1).contains(value) else {
                throw APIProblem.badBody("stability must be a number from 0 (compactness only) to 1 (stability only)", field: Field.stability.rawValue)
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
}
