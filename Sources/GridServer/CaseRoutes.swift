import Foundation
import GridAnalysis
import GridCases
import GridModel
import GridStore
import Hummingbird
import Synchronization

/// The routing network of cases: built on the server's one load of the walking network and placed buildings
/// (`ServerState.layersSnapshot`), again only when a layer changed.
final class CaseNetworkHolder: Sendable {
    private let cached = Mutex<CaseNetwork?>(nil)
    let state: ServerState

    init(state: ServerState) {
        self.state = state
    }

    /// The network last loaded, unchecked: its user checks that its read sees the same layers (`CaseNetwork.isCurrent`).
    func kept() -> CaseNetwork? { cached.withLock { $0 } }

    func current() throws -> CaseNetwork {
        let snapshot = try state.layersSnapshot()
        if let network = cached.withLock({ $0 }), network.version == snapshot.version { return network }
        let network = CaseNetwork(version: snapshot.version, profile: state.settings.profile, snapper: snapshot.snapper,
                                  facilities: snapshot.facilities, placed: snapshot.buildings, grids: try AnalysisData.grids(state.store))
        cached.withLock { $0 = network }
        return network
    }
}

/// Cases over HTTP: `/collections/cases` (OGC API – Features), `POST /cases/{code}/transitions`, `/cases/stats`.
/// Handlers parse, call `CaseRepository` and render; the figures and the case shape are the command line's.
struct CaseRoutes: Sendable {
    let state: ServerState

    static func now() -> Timestamp { Int64(Date().timeIntervalSince1970) }

    static func render(_ object: Any, request: Request, status: HTTPResponse.Status = .ok, contentType: String = Responses.json) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Responses.bytes(Array(data), contentType: contentType, request: request, status: status, cacheable: false)
    }

    static func instant(_ text: String?, name: String, calendar: WorkingCalendar) throws -> Timestamp? {
        guard let text else { return nil }
        guard let t = calendar.parseInstant(text) else {
            throw APIProblem.badParameter(name, "\(name) must be a date YYYY-MM-DD or an ISO 8601 time, got \(text.prefix(40))")
        }
        return t
    }

    static func feature(_ c: CaseRepository.StoredCase, calendar: WorkingCalendar, now: Timestamp, events: Bool) -> [String: Any] {
        ["type": "Feature", "id": c.code, "geometry": ["type": "Point", "coordinates": [c.point.longitude, c.point.latitude]],
         "properties": c.json(calendar: calendar, now: now, events: events)]
    }

    /// The query's parameters; a name the operation does not take is refused naming the ones it takes.
    static func query(_ request: Request, allowed: Set<String>) throws -> [Substring: Substring] {
        var parameters: [Substring: Substring] = [:]
        for (key, value) in request.uri.queryParameters {
            guard allowed.contains(String(key)) else {
                throw APIProblem.badParameter(String(key.prefix(60)), "unknown parameter \(key.prefix(60)); this operation takes \(allowed.sorted().joined(separator: ", "))")
            }
            if parameters[key] == nil { parameters[key] = value }
        }
        return parameters
    }

    func register(on router: Router<BasicRequestContext>) {
        let store = state.store
        // The collection and its items are the feature engine's, as every collection's; one case with its history is below.
        let features = FeatureRoutes(state: state)
        // Store work answers on `StoreReadThreads`, in the order the requests came, as every collection's.
        router.get("/collections/cases") { request, _ in
            try await StoreReadThreads.run { Responses.json(try features.describe(.cases, base: Responses.base(request)), request: request) }
        }
        router.get("/collections/cases/items") { request, _ in
            try await StoreReadThreads.run { try features.items(request, collection: .cases) }
        }
        router.get("/collections/cases/items/:code") { request, context in
            let code = try context.parameters.require("code")
            return try await StoreReadThreads.run {
                let calendar = try CaseSetup.calendar(store)
                guard let c = try CaseRepository.find(store: store, code: code) else { throw APIProblem.notFound("no case \(code.prefix(60))") }
                return try Self.render(Self.feature(c, calendar: calendar, now: Self.now(), events: true), request: request, contentType: Responses.geoJSON)
            }
        }
        router.post("/cases/:code/transitions") { request, context in
            try WriteAuthorization.check(request, token: state.settings.writeToken)
            let code = try context.parameters.require("code")
            let body = try await AnalysisRoutes.jsonBody(request, limit: state.settings.limits.maximumBodyBytes)
            return try await StoreReadThreads.run {
                let calendar = try CaseSetup.calendar(store)
                guard let actionText = body["action"]?.stringValue else { throw APIProblem.badBody("action is required", field: "action") }
                guard let action = CaseAction(rawValue: actionText), action != .register else {
                    throw APIProblem.badBody("action must be one of \(CaseAction.allCases.filter { $0 != .register }.map(\.rawValue).joined(separator: ", "))", field: "action")
                }
                let actor = body["actor"]?.stringValue ?? "api"
                let note = body["note"]?.stringValue
                var limit: TimeLimit?
                if let text = body["extension"]?.stringValue {
                    guard let parsed = TimeLimit.parse(text) else { throw APIProblem.badBody("extension must be working hours or days like 4h or 2d", field: "extension") }
                    limit = parsed
                }
                let at = try Self.instant(body["at"]?.stringValue, name: "at", calendar: calendar) ?? Self.now()
                guard try CaseRepository.find(store: store, code: code) != nil else { throw APIProblem.notFound("no case \(code.prefix(60))") }
                let moved: CaseRepository.StoredCase
                do {
                    moved = try CaseRepository.transition(store: store, code: code, action: action, actor: actor, note: note, extension: limit, at: at)
                } catch let error as StoreError where error.isUserError {
                    // The machine's refusal names the allowed actions.
                    throw APIProblem.conflict(error.description)
                }
                return try Self.render(Self.feature(moved, calendar: calendar, now: at, events: true), request: request, contentType: Responses.geoJSON)
            }
        }
        router.get("/cases/stats") { request, _ in
            try await StoreReadThreads.run {
                let calendar = try CaseSetup.calendar(store)
                let q = try CaseRoutes.query(request, allowed: ["by", "from", "to", "now"])
                guard let unit = CaseFigures.Unit(rawValue: q["by"].map(String.init) ?? "grid") else {
                    throw APIProblem.badParameter("by", "by must be one of \(CaseFigures.Unit.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let now = try Self.instant(q["now"].map(String.init), name: "now", calendar: calendar) ?? Self.now()
                let end = try Self.instant(q["to"].map(String.init), name: "to", calendar: calendar) ?? now + 1  // up to and including now
                let start = try Self.instant(q["from"].map(String.init), name: "from", calendar: calendar) ?? end - 30 * 86_400
                guard start < end else { throw APIProblem.badParameter("from", "from must be before to") }
                let figures = try CaseRepository.figures(store: store, unit: unit, from: start, to: end, now: now)
                return try Self.render(["from": calendar.format(start), "to": calendar.format(end), "now": calendar.format(now),
                                        "units": figures.map(\.json)], request: request)
            }
        }
    }
}
