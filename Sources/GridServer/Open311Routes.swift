import Foundation
import GridCases
import GridModel
import GridStore
import Hummingbird
import Synchronization

/// Open311 GeoReport v2 in JSON under `/open311/v2/` (http://wiki.open311.org/GeoReport_v2): services are the case
/// categories, requests are cases (service_request_id = the case code). Errors are `[{code, description}]` with
/// 400, 403 or 404. `api_key` is the server's write token or a reporter key from `cases keys add`; reads need none.
struct Open311Routes: Sendable {
    let state: ServerState
    let network: CaseNetworkHolder

    struct Failure: Error {
        var status: HTTPResponse.Status
        var description: String
    }

    static func render(_ object: Any, request: Request, status: HTTPResponse.Status = .ok) throws -> Response {
        try CaseRoutes.render(object, request: request, status: status)
    }

    /// Runs a handler, answering any failure in Open311's error shape.
    static func answer(_ request: Request, _ body: () async throws -> Response) async throws -> Response {
        let failure: Failure
        do {
            return try await body()
        } catch let error as Failure {
            failure = error
        } catch let problem as APIProblem {
            let status: HTTPResponse.Status = switch problem.status {
            case .unauthorized, .forbidden: .forbidden
            case .notFound: .notFound
            case .serviceUnavailable, .internalServerError, .contentTooLarge: problem.status
            default: .badRequest
            }
            failure = Failure(status: status, description: problem.detail)
        } catch let error as StoreError where error.isUserError {
            failure = Failure(status: .badRequest, description: error.description)
        }
        return try render([["code": failure.status.code, "description": failure.description]], request: request, status: failure.status)
    }

    /// The request's fields: the query, then a form-encoded or JSON body.
    static func fields(_ request: Request, limit: Int) async throws -> [String: String] {
        var fields: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { fields[String(key)] = String(value) }
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        let bytes = Data(buffer.readableBytesView)
        guard !bytes.isEmpty else { return fields }
        if request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true {
            guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
                throw Failure(status: .badRequest, description: "the body is not a JSON object")
            }
            for (key, value) in object {
                switch value {
                case let text as String: fields[key] = text
                case let number as NSNumber: fields[key] = number.stringValue
                default: throw Failure(status: .badRequest, description: "\(key) must be a string or a number")
                }
            }
            return fields
        }
        let text = String(decoding: bytes, as: UTF8.self)
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) throws -> String {
                guard let decoded = formDecoded(s) else {
                    throw Failure(status: .badRequest, description: "the form body is not valid percent-encoding")
                }
                return decoded
            }
            fields[try decode(parts[0])] = parts.count > 1 ? try decode(parts[1]) : ""
        }
        return fields
    }

    /// A form component with `+` read as a space, then percent-decoded (nil: not valid percent-encoding). Components
    /// whose every `%` starts an escape of two hex digits and that decode to UTF-8 are decoded here byte by byte; any
    /// other goes through Foundation's decoding, which has the last word on what is invalid.
    static func formDecoded(_ component: Substring) -> String? {
        func foundation() -> String? { component.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        let utf8 = component.utf8
        var decoded: [UInt8] = []
        decoded.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let byte = utf8[i]
            i = utf8.index(after: i)
            switch byte {
            case UInt8(ascii: "+"): decoded.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard i != utf8.endIndex, let high = hex(utf8[i]) else { return foundation() }
                let next = utf8.index(after: i)
                guard next != utf8.endIndex, let low = hex(utf8[next]) else { return foundation() }
                decoded.append(high << 4 | low)
                i = utf8.index(after: next)
            default: decoded.append(byte)
            }
        }
        return String(validating: decoded, as: UTF8.self) ?? foundation()
    }

    static func service(_ c: CaseCategory, departments: [String: String]) -> [String: Any] {
        ["service_code": c.code, "service_name": c.nameEn, "description": "\(c.nameZh) · \(c.nameEn)", "metadata": true, "type": "realtime",
         "keywords": [c.kind == .component ? "部件" : "事件", c.kind.rawValue].joined(separator: ","),
         "group": departments[c.department] ?? c.department]
    }

    static func request(_ c: CaseRepository.StoredCase, catalog: CaseCatalog, departments: [String: String], calendar: WorkingCalendar) -> [String: Any] {
        let category = catalog.category(c.category)
        let notes = "\(c.state.rawValue) (\(c.state.chineseName))" + (c.events.last?.note.map { ": \($0)" } ?? "")
        return [
            "service_request_id": c.code, "status": c.state.isOpen ? "open" : "closed", "status_notes": notes,
            "service_name": category?.nameEn ?? c.category, "service_code": c.category, "description": c.description,
            "agency_responsible": departments[c.department] ?? c.department, "service_notice": NSNull(),
            "requested_datetime": calendar.format(c.registeredAt), "updated_datetime": calendar.format(c.updatedAt),
            "expected_datetime": c.handlingDeadline.map { calendar.format($0) as Any } ?? NSNull(),
            "address": c.address ?? NSNull(), "address_id": NSNull(), "zipcode": NSNull(),
            "lat": c.point.latitude, "long": c.point.longitude, "media_url": c.media.first ?? NSNull(),
        ]
    }

    /// The reply to a posted request as `render` writes it (sorted keys, no spaces, slashes unescaped), written here when
    /// both strings are printable ASCII other than a quote or a backslash, which JSON leaves as they are (nil otherwise).
    static func postedReply(code: String, notice: String) -> [UInt8]? {
        func plain(_ s: String) -> Bool { s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") } }
        guard plain(code), plain(notice) else { return nil }
        return Array("[{\"account_id\":null,\"service_notice\":\"\(notice)\",\"service_request_id\":\"\(code)\"}]".utf8)
    }

    func register(on router: Router<BasicRequestContext>) {
        let store = state.store
        let settings = state.settings
        let network = self.network
        let queue = ReportQueue(store: store)
        /// Open311 clients ask for `path.json`; both spellings are served.
        func get(_ path: String, _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response) {
            router.get(RouterPath(stringLiteral: "/open311/v2/" + path), use: handler)
            router.get(RouterPath(stringLiteral: "/open311/v2/" + path + ".json"), use: handler)
        }
        get("discovery") { request, _ in
            try await Self.answer(request) {
                let base = Responses.base(request)
                return try Self.render([
                    "changeset": "2026-12-01T00:00:00Z", "contact": "the operator of this server", "key_service": "communitygrid --db FILE cases keys add NAME",
                    "endpoints": [["specification": "http://wiki.open311.org/GeoReport_v2", "url": base + "/open311/v2", "changeset": "2026-12-01T00:00:00Z",
                                   "type": "production", "formats": ["application/json"]]],
                ], request: request)
            }
        }
        get("services") { request, _ in
            try await Self.answer(request) {
                try await StoreReadThreads.run {
                    let catalog = try CaseSetup.catalog(store)
                    let departments = Dictionary(uniqueKeysWithValues: catalog.departments.map { ($0.code, $0.name) })
                    return try Self.render(catalog.categories.map { Self.service($0, departments: departments) }, request: request)
                }
            }
        }
        router.get("/open311/v2/services/:service_code") { request, context in
            try await Self.answer(request) {
                var code = try context.parameters.require("service_code")
                if code.hasSuffix(".json") { code.removeLast(5) }
                let asked = code
                return try await StoreReadThreads.run {
                    let code = asked
                    guard let category = try CaseSetup.catalog(store).category(code) else {
                        throw Failure(status: .notFound, description: "no service \(code.prefix(60))")
                    }
                    return try Self.render([
                        "service_code": category.code,
                        "attributes": [[
                            "variable": true, "code": "reporter_kind", "datatype": "singlevaluelist", "required": false, "order": 1,
                            "datatype_description": "Who reports", "description": "Who reports: a grid worker, a resident, the 12345 hotline, other",
                            "values": CaseRepository.ReporterKind.allCases.map { ["key": $0.rawValue, "name": $0.rawValue] },
                        ] as [String: Any]],
                    ], request: request)
                }
            }
        }
        get("requests") { request, _ in
            try await Self.answer(request) {
                try await StoreReadThreads.run {
                    let calendar = try CaseSetup.calendar(store)
                    let q = request.uri.queryParameters
                    var filter = CaseRepository.Filter()
                    if let ids = q["service_request_id"] {
                        filter.codes = ids.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                    }
                    filter.category = q["service_code"].map(String.init)
                    if let status = q["status"] {
                        let values = Set(status.split(separator: ",").map(String.init))
                        guard !values.isEmpty, values.isSubset(of: ["open", "closed"]) else { throw Failure(status: .badRequest, description: "status must be open, closed or open,closed") }
                        filter.status = values.count == 1 ? values.first : nil
                    }
                    func date(_ name: String) throws -> Timestamp? {
                        guard let text = q[Substring(name)] else { return nil }
                        guard let t = calendar.parseInstant(String(text)) else { throw Failure(status: .badRequest, description: "\(name) must be a w3 date/time, got \(text.prefix(40))") }
                        return t
                    }
                    let end = try date("end_date"), start = try date("start_date")
                    if filter.codes == nil {
                        // The spec's default window: the last 90 days.
                        filter.registeredTo = end ?? CaseRoutes.now()
                        filter.registeredFrom = start ?? (filter.registeredTo! - 90 * 86_400)
                        guard filter.registeredFrom! <= filter.registeredTo! else { throw Failure(status: .badRequest, description: "start_date is after end_date") }
                    }
                    filter.limit = 1000
                    let catalog = try CaseSetup.catalog(store)
                    let departments = Dictionary(uniqueKeysWithValues: catalog.departments.map { ($0.code, $0.name) })
                    let listed = try CaseRepository.list(store: store, filter: filter)
                    return try Self.render(listed.cases.map { Self.request($0, catalog: catalog, departments: departments, calendar: calendar) }, request: request)
                }
            }
        }
        router.get("/open311/v2/requests/:id") { request, context in
            try await Self.answer(request) {
                var code = try context.parameters.require("id")
                if code.hasSuffix(".json") { code.removeLast(5) }
                let asked = code
                return try await StoreReadThreads.run {
                    let code = asked
                    guard let c = try CaseRepository.find(store: store, code: code) else { throw Failure(status: .notFound, description: "no request \(code.prefix(60))") }
                    let catalog = try CaseSetup.catalog(store)
                    let departments = Dictionary(uniqueKeysWithValues: catalog.departments.map { ($0.code, $0.name) })
                    return try Self.render([Self.request(c, catalog: catalog, departments: departments, calendar: try CaseSetup.calendar(store))], request: request)
                }
            }
        }
        let post: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            try await Self.answer(request) {
                let fields = try await Self.fields(request, limit: settings.limits.maximumBodyBytes)
                guard let key = fields["api_key"], !key.isEmpty else { throw Failure(status: .forbidden, description: "api_key is required to post a request") }
                // The key's reporter and the point's placement are store reads: on `StoreReadThreads`, before the writer's turn.
                let (reporterName, report, current, placement) = try await StoreReadThreads.run {
                    let reporterName: String
                    if let token = settings.writeToken, WriteAuthorization.constantTimeEqual(Array(key.utf8), Array(token.utf8)) {
                        reporterName = "write-token"
                    } else if let name = try CaseSetup.reporter(key: key, store: store) {
                        reporterName = name
                    } else {
                        throw Failure(status: .forbidden, description: "api_key is not a valid key")
                    }
                    guard let service = fields["service_code"], !service.isEmpty else { throw Failure(status: .badRequest, description: "service_code is required") }
                    guard let lat = fields["lat"].flatMap(Double.init), let lon = fields["long"].flatMap(Double.init) else {
                        throw Failure(status: .badRequest, description: "lat and long are required (this server locates requests by coordinates)")
                    }
                    let description = fields["description"] ?? ""
                    guard description.count <= 4000 else { throw Failure(status: .badRequest, description: "description is longer than 4,000 characters") }
                    let kindText = fields["attribute[reporter_kind]"] ?? "resident"
                    guard let kind = CaseRepository.ReporterKind(rawValue: kindText) else {
                        throw Failure(status: .badRequest, description: "attribute[reporter_kind] must be one of \(CaseRepository.ReporterKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    let name = [fields["first_name"], fields["last_name"]].compactMap { $0 }.joined(separator: " ")
                    let report = CaseRepository.Report(category: service, description: description.isEmpty ? "(no description)" : description,
                                                       point: Coordinate(longitude: lon, latitude: lat), address: fields["address_string"],
                                                       reporterKind: kind, reporter: name.isEmpty ? fields["email"] : name,
                                                       media: fields["media_url"].map { [$0] } ?? [], at: CaseRoutes.now())
                    // The service is checked against the catalog the report is registered with, in its transaction. The point's
                    // building, grid and households are found here, beside the other requests, not in the writer's turn.
                    // The network kept from the last request serves when the placement's read still sees its layers (the one
                    // `current()` would give); otherwise the current one is loaded and the point placed on it.
                    let kept = network.kept()
                    var current = try kept ?? network.current()
                    var placement = try? CaseRepository.place(report, store: store, network: current)
                    if placement == nil, kept != nil {
                        current = try network.current()
                        placement = try? CaseRepository.place(report, store: store, network: current)
                    }
                    return (reporterName, report, current, placement)
                }
                let (stored, routing) = try await queue.register(.init(report, network: current, actor: reporterName,
                                                                       unknownCategory: { Failure(status: .badRequest, description: "service_code \($0.prefix(60)) is not a service") },
                                                                       placement: placement))
                var notice = "routed to grid \(stored.grid ?? "none")"
                if stored.outsideGrids { notice += String(format: " (outside every grid, %.0f m away)", stored.gridDistance) }
                if !routing.duplicates.isEmpty { notice += "; possible duplicates: " + routing.duplicates.map(\.code).joined(separator: ", ") }
                if let reply = Self.postedReply(code: stored.code, notice: notice) {
                    return Responses.bytes(reply, contentType: Responses.json, request: request, status: .created, cacheable: false)
                }
                return try Self.render([["service_request_id": stored.code, "service_notice": notice, "account_id": NSNull()] as [String: Any]],
                                       request: request, status: .created)
            }
        }
        router.post("/open311/v2/requests", use: post)
        router.post("/open311/v2/requests.json", use: post)
    }
}

/// Reports arriving while the writer is busy are registered together in its next transaction, each in a savepoint of its
/// own and answered only once that transaction committed (`CaseRepository.report(_:store:)`): a commit's work is
/// shared by the reports in it, and no request holds a thread while it waits for the writer.
final class ReportQueue: Sendable {
    typealias Registered = (CaseRepository.StoredCase, CaseRepository.Routing)

    struct Waiting: Sendable {
        var submission: CaseRepository.Submission
        var continuation: CheckedContinuation<Registered, any Error>
    }

    /// At most this many reports share a transaction, so a burst's last answer does not wait for all of it.
    static let largestBatch = 64

    let store: Store
    private let state = Mutex<(waiting: [Waiting], draining: Bool)>(([], false))

    init(store: Store) {
        self.store = store
    }

    func register(_ submission: CaseRepository.Submission) async throws -> Registered {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.waiting.append(Waiting(submission: submission, continuation: continuation))
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    /// Registers what waits, batch after batch, until nothing does.
    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                guard !state.waiting.isEmpty else {
                    state.draining = false
                    return []
                }
                let batch = Array(state.waiting.prefix(Self.largestBatch))
                state.waiting.removeFirst(batch.count)
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let answers = try await CaseRepository.report(batch.map(\.submission), store: store)
                for (waiting, answer) in zip(batch, answers) { waiting.continuation.resume(with: answer) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
