import Foundation
import GRDB
import GridAnalysis
import GridCases
import GridModel

/// Cases in the store: reports routed and registered, transitions appended to the log, lists and figures.
/// Every change is one transaction holding the event that made it; `cases.state` and its deadlines are always
/// the replay of the case's events.
public enum CaseRepository {
    public enum ReporterKind: String, Sendable, CaseIterable, Codable {
        case gridWorker = "grid_worker", resident, hotline = "hotline_12345", other
    }

    public struct Report: Sendable {
        public var category: String
        public var description: String
        public var point: Coordinate
        public var address: String?
        public var reporterKind: ReporterKind
        public var reporter: String?
        public var media: [String]
        public var at: Timestamp

        public init(category: String, description: String, point: Coordinate, address: String? = nil, reporterKind: ReporterKind,
                    reporter: String? = nil, media: [String] = [], at: Timestamp) {
            self.category = category
            self.description = description
            self.point = point
            self.address = address
            self.reporterKind = reporterKind
            self.reporter = reporter
            self.media = media
            self.at = at
        }

        /// The checks every interface shares; the message names the field.
        func check() throws {
            guard point.longitude.isFinite, point.latitude.isFinite, (-180...180).contains(point.longitude), (-90...90).contains(point.latitude) else {
                throw StoreError.badInput("long/lat must be a WGS84 longitude in [-180, 180] and latitude in [-90, 90]")
            }
            guard !description.isEmpty else { throw StoreError.badInput("description is empty") }
            guard description.count <= 4000 else { throw StoreError.badInput("description is longer than 4,000 characters (\(description.count))") }
            guard (address?.count ?? 0) <= 1000 else { throw StoreError.badInput("address is longer than 1,000 characters") }
            guard media.count <= 20, media.allSatisfy({ !$0.isEmpty && $0.count <= 2000 }) else {
                throw StoreError.badInput("media: at most 20 references of 1–2,000 characters each")
            }
            guard (reporter?.count ?? 0) <= 200 else { throw StoreError.badInput("reporter is longer than 200 characters") }
        }
    }

    /// A possible duplicate: an open case of the same category on the same building or within the walking limit.
    public struct Duplicate: Sendable, Hashable, Codable {
        public var code: String
        public var sameBuilding: Bool
        /// Walking distance in metres (nil when only the building matched and the walk is longer or impossible).
        public var walkingDistance: Double?
    }

    /// Duplicates: open cases of the same category on the same building or within `walkingMetres` on foot,
    /// registered within `days` before the report.
    public struct DuplicateRule: Sendable {
        public var walkingMetres: Double
        public var days: Double
        public init(walkingMetres: Double = 250, days: Double = 7) {
            self.walkingMetres = walkingMetres
            self.days = days
        }
    }

    public struct Routing: Sendable, Codable {
        public var buildingID: Int64?
        public var grid: String?
        public var community: String?
        public var outsideGrids: Bool
        public var gridDistance: Double
        public var workerID: Int64?
        public var worker: String?
        public var department: String
        public var householdsNearby: Int?
        public var impact: FacilityImpact?
        public var duplicates: [Duplicate]
    }

    /// A stored case with its replayed timeline.
    public struct StoredCase: Sendable {
        public var id: Int64
        public var code: String
        public var category: String
        public var description: String
        public var address: String?
        public var point: Coordinate
        public var buildingID: Int64?
        public var grid: String?
        public var community: String?
        public var outsideGrids: Bool
        public var gridDistance: Double
        public var worker: String?
        public var department: String
        public var reporterKind: String
        public var reporter: String?
        public var priority: Int
        public var householdsNearby: Int?
        public var impact: FacilityImpact?
        public var media: [String]
        public var duplicateOf: String?
        public var state: CaseState
        public var registeredAt: Timestamp
        public var updatedAt: Timestamp
        public var stepDeadline: Timestamp?
        public var handlingDeadline: Timestamp?
        public var closedAt: Timestamp?
        public var eventCount: Int
        public var stepStartedAt: Timestamp?
        /// Filled by `find` (not by `list`).
        public var events: [CaseEvent] = []
    }

    // MARK: Report

    /// Where a report goes, without storing it.
    public static func route(_ report: Report, store: Store, network: CaseNetwork, duplicates rule: DuplicateRule = .init()) throws -> Routing {
        try report.check()
        return try store.read { db in try route(report, db, network: network, catalog: try CaseSetup.catalog(db), rule: rule) }
    }

    /// Where a point lies on the layers: its building and grid, and the households within 5 minutes' walk of it.
    public struct Placement: Sendable {
        var building: Coverage.Building?
        var grid: (code: String, community: String?, outside: Bool, distance: Meters)?
        var householdsNearby: Int? = nil
    }

    /// The point's placement, found in a read of its own before the report's transaction so that it need not wait for
    /// the writer (nil when the store's layers are no longer those `network` was loaded from). A report registered with
    /// it uses it only when its transaction still sees those layers, so it is the placement the transaction would find.
    public static func place(_ report: Report, store: Store, network: CaseNetwork) throws -> Placement? {
        try report.check()
        let found = try store.read { db -> Placement? in
            guard try network.isCurrent(db) else { return nil }
            let building = try network.building(at: report.point, db)
            return Placement(building: building, grid: try network.grid(for: report.point, building: building, db))
        }
        return try found.map { found in
            var found = found
            found.householdsNearby = try network.householdsWithin(minutes: CaseNetwork.impactMinutes, of: report.point)
            return found
        }
    }

    /// Routes a report; `rule` nil skips the duplicate search (it decides nothing that is stored). `placement`: the
    /// point's placement found beforehand on the layers of this transaction (see `place`).
    static func route(_ report: Report, _ db: Database, network: CaseNetwork, catalog: CaseCatalog, rule: DuplicateRule?,
                      placement: Placement? = nil) throws -> Routing {
        let category = try category(report.category, in: catalog)
        let building = try placement.map(\.building) ?? network.building(at: report.point, db)
        let grid = try placement.map(\.grid) ?? network.grid(for: report.point, building: building, db)
        let worker = try grid.flatMap { try CaseSetup.currentWorker(db, grid: $0.code, at: report.at) }
        let duplicates = try rule.map { try findDuplicates(report, building: building?.id, db, network: network, rule: $0) } ?? []
        let impact = try category.facilityCategory.flatMap { try network.facilityImpact(category: $0, at: report.point) }
        return Routing(buildingID: building?.id, grid: grid?.code, community: grid?.community, outsideGrids: grid?.outside ?? true,
                       gridDistance: grid?.distance.value ?? 0, workerID: worker?.id, worker: worker?.code, department: category.department,
                       householdsNearby: try placement.map(\.householdsNearby) ?? network.householdsWithin(minutes: CaseNetwork.impactMinutes, of: report.point),
                       impact: impact, duplicates: duplicates)
    }

    /// The catalog's category `code`, or a refusal listing the codes it has.
    static func category(_ code: String, in catalog: CaseCatalog) throws -> CaseCategory {
        guard let category = catalog.category(code) else {
            throw StoreError.badInput("category \(code) is not in the store's catalog (\(catalog.categories.map(\.code).joined(separator: ", ")))")
        }
        return category
    }

    /// The states a case is open in, listed so the (category, state, registered_at) index serves the search.
    static let openStates = CaseState.allCases.filter(\.isOpen).map { "'\($0.rawValue)'" }.joined(separator: ", ")

    /// The open cases of ?1 registered in [?2, ?3] with their point in the box [?4, ?5] × [?6, ?7], read from the
    /// (category, state, longitude, …, code) index alone, not from the category's other open cases (v13-case-duplicate-index).
    static let duplicatesInBoxSQL = """
        SELECT id, registered_at, code, building_id, longitude, latitude FROM cases INDEXED BY \(CaseSchema.duplicateBoxIndex)
        WHERE category_code = ?1 AND state IN (\(openStates)) AND longitude BETWEEN ?4 AND ?5 AND latitude BETWEEN ?6 AND ?7
          AND registered_at >= ?2 AND registered_at <= ?3
        """
    /// The open cases of ?1 registered in [?2, ?3] on building ?4.
    static let duplicatesOnBuildingSQL = """
        SELECT id, registered_at, code, building_id, longitude, latitude FROM cases INDEXED BY \(CaseSchema.duplicateBuildingIndex)
        WHERE category_code = ?1 AND building_id = ?4 AND state IN (\(openStates)) AND registered_at >= ?2 AND registered_at <= ?3
        """

    /// A case the duplicate search considers.
    struct Candidate {
        var id: Int64
        var registeredAt: Timestamp
        var code: String
        var buildingID: Int64?
        var point: Coordinate
    }

    /// The open cases of the report's category registered within the rule's days before it, on `building` or in the box
    /// around the walking limit, in registration order (then id), each once.
    static func duplicateCandidates(_ report: Report, building: Int64?, _ db: Database, rule: DuplicateRule) throws -> [Candidate] {
        let since = report.at - Int64(rule.days * 86_400)
        // Walking is never shorter than the straight line: a box of the walking limit holds every candidate.
        let dLat = rule.walkingMetres / 111_000, dLon = rule.walkingMetres / (111_000 * max(0.01, cos(report.point.latitude * .pi / 180)))
        func candidates(_ sql: String, _ arguments: StatementArguments) throws -> [Candidate] {
            let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
            var found: [Candidate] = []
            while let row = try cursor.next() {
                found.append(Candidate(id: row[0], registeredAt: row[1], code: row[2], buildingID: row[3], point: Coordinate(longitude: row[4], latitude: row[5])))
            }
            return found
        }
        var found = try candidates(duplicatesInBoxSQL, [report.category, since, report.at, report.point.longitude - dLon, report.point.longitude + dLon,
                                                         report.point.latitude - dLat, report.point.latitude + dLat])
        if let building {
            let inBox = Set(found.map(\.id))
            found += try candidates(duplicatesOnBuildingSQL, [report.category, since, report.at, building]).filter { !inBox.contains($0.id) }
        }
        return found.sorted { ($0.registeredAt, $0.id) < ($1.registeredAt, $1.id) }
    }

    static func findDuplicates(_ report: Report, building: Int64?, _ db: Database, network: CaseNetwork, rule: DuplicateRule) throws -> [Duplicate] {
        let rows = try duplicateCandidates(report, building: building, db, rule: rule)
        guard !rows.isEmpty else { return [] }
        let distances = try network.walkingDistances(from: report.point, to: rows.map(\.point), horizon: Meters(rule.walkingMetres))
        return zip(rows, distances).compactMap { row, distance in
            let same = building != nil && row.buildingID == building
            guard same || distance != nil else { return nil }
            return Duplicate(code: row.code, sameBuilding: same, walkingDistance: distance.map { ($0.value * 10).rounded() / 10 })
        }
    }

    /// Routes and registers a report in one transaction with its register event. `duplicateOf`: the code of the
    /// case it duplicates, when the reporter confirms one (kept as a reference; the case is registered anyway).
    /// `unknownCategory`: the refusal of a category the catalog lacks, judged before any other check of the report
    /// and on the catalog the report is registered against (nil: the store's refusal, after the report's checks).
    public static func report(_ report: Report, store: Store, network: CaseNetwork, actor: String, duplicateOf: String? = nil,
                              duplicates rule: DuplicateRule = .init(),
                              unknownCategory: (@Sendable (String) -> any Error)? = nil) throws -> (StoredCase, Routing) {
        if unknownCategory == nil { try report.check() }
        guard !actor.isEmpty, actor.count <= 200 else { throw StoreError.badInput("actor must be 1–200 characters") }
        return try store.write { db in
            try register(report, db, network: network, actor: actor, duplicateOf: duplicateOf, rule: rule, unknownCategory: unknownCategory)
        }
    }

    /// A report to register, as `report` takes it.
    public struct Submission: Sendable {
        public var report: Report
        public var network: CaseNetwork
        public var actor: String
        public var unknownCategory: (@Sendable (String) -> any Error)?
        /// The point's placement found beforehand (`place`), used when the transaction still sees its layers.
        public var placement: Placement?

        public init(_ report: Report, network: CaseNetwork, actor: String, unknownCategory: (@Sendable (String) -> any Error)? = nil,
                    placement: Placement? = nil) {
            self.report = report
            self.network = network
            self.actor = actor
            self.unknownCategory = unknownCategory
            self.placement = placement
        }
    }

    /// Registers reports that arrived together in one write transaction, each in a savepoint of its own: each one lands
    /// whole or not at all, exactly as `report` would have registered it after the ones before it, and a refused one
    /// leaves the others in. The answers (in order) hold only once the transaction committed; when the commit fails,
    /// every report fails with its error. Suspends the caller instead of blocking a thread while the writer is busy.
    public static func report(_ submissions: [Submission], store: Store) async throws -> [Result<(StoredCase, Routing), any Error>] {
        try await store.pool.write { db in
            // An error SQLite ends the whole transaction with (a full disk) is every later report's too: none runs outside it.
            var ended: (any Error)?
            let reads = TransactionReads()
            return submissions.map { s -> Result<(StoredCase, Routing), any Error> in
                Result {
                    if let ended { throw ended }
                    if s.unknownCategory == nil { try s.report.check() }
                    guard !s.actor.isEmpty, s.actor.count <= 200 else { throw StoreError.badInput("actor must be 1–200 characters") }
                    var registered: (StoredCase, Routing)?
                    do {
                        try db.inSavepoint {
                            registered = try register(s.report, db, network: s.network, actor: s.actor, duplicateOf: nil, rule: .init(),
                                                      unknownCategory: s.unknownCategory, placement: s.placement, reads: reads)
                            return .commit
                        }
                    } catch {
                        if !db.isInsideTransaction { ended = error }
                        throw error
                    }
                    guard let registered else { throw StoreError.corrupt("a report's savepoint ended without its case") }
                    return registered
                }
            }
        }
    }

    /// The catalog and the calendar as one transaction reads them, read once for all its reports: registering a report
    /// changes neither, so every report of the transaction would read the same.
    final class TransactionReads {
        private var catalog: CaseCatalog?
        private var calendar: WorkingCalendar?

        func catalog(_ db: Database) throws -> CaseCatalog {
            if let catalog { return catalog }
            let read = try CaseSetup.catalog(db)
            catalog = read
            return read
        }

        func calendar(_ db: Database) throws -> WorkingCalendar {
            if let calendar { return calendar }
            let read = try CaseSetup.calendar(db)
            calendar = read
            return read
        }
    }

    /// Routes and registers one report in the caller's transaction (see `report`). `reads`: the transaction's catalog and
    /// calendar when it registers other reports too.
    static func register(_ report: Report, _ db: Database, network: CaseNetwork, actor: String, duplicateOf: String?, rule: DuplicateRule,
                         unknownCategory: (@Sendable (String) -> any Error)?, placement: Placement? = nil,
                         reads: TransactionReads = TransactionReads()) throws -> (StoredCase, Routing) {
        let catalog = try reads.catalog(db)
        if let unknownCategory {
            guard catalog.category(report.category) != nil else { throw unknownCategory(report.category) }
            try report.check()
        }
        let placement = try placement.flatMap { try network.isCurrent(db) ? $0 : nil }
        let routing = try route(report, db, network: network, catalog: catalog, rule: rule, placement: placement)
        let category = try category(report.category, in: catalog)
        let calendar = try reads.calendar(db)
        if let duplicateOf, try Int.fetchOne(db, sql: "SELECT 1 FROM cases WHERE code = ?", arguments: [duplicateOf]) == nil {
            throw StoreError.badInput("duplicate_of: no case \(duplicateOf)")
        }
        let event = CaseEvent(action: .register, from: nil, to: .registered, at: report.at, actor: actor)
        let (_, code) = try insert(report, routing: routing, category: category, calendar: calendar, events: [event], duplicateOf: duplicateOf, db)
        guard let stored = try fetch(db, code: code, withEvents: true) else { throw StoreError.corrupt("case \(code) vanished") }
        return (stored, routing)
    }

    /// Stores a routed case with its log (the register event first): the next id, its code, the row as the replay of
    /// `events` makes it, and the events unless `appendEvents` is false (a generated year appends them in time order
    /// afterwards, as the transitions would have). The one writer of case rows, for reports and generated years alike.
    static func insert(_ report: Report, routing: Routing, category: CaseCategory, calendar: WorkingCalendar, events: [CaseEvent],
                       duplicateOf: String?, appendEvents: Bool = true, _ db: Database) throws -> (id: Int64, code: String) {
        let timeline = try replay(events, category: category, calendar: calendar)
        let next = (try Int64.fetchOne(try db.cachedStatement(sql: "SELECT coalesce(max(id), 0) + 1 FROM cases"))) ?? 1
        let day = String(calendar.format(report.at).prefix(10).filter { $0 != "-" })
        let code = "\(day)-\(next)"
        let impactJSON = try routing.impact.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        let mediaJSON = String(decoding: try JSONEncoder().encode(report.media), as: UTF8.self)
        try db.cachedStatement(sql: """
            INSERT INTO cases (id, code, category_code, description, address, longitude, latitude, building_id, grid_code, community_code,
                outside_grids, grid_distance_m, worker_id, department_code, reporter_kind, reporter, priority, households_nearby, impact,
                media, duplicate_of, state, registered_at, updated_at, step_started_at, step_deadline, handling_deadline, closed_at, events, geom)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, MakePoint(?6, ?7, 4326))
            """).execute(arguments: [next, code, report.category, report.description, report.address, report.point.longitude, report.point.latitude,
                             routing.buildingID, routing.grid, routing.community, routing.outsideGrids ? 1 : 0, routing.gridDistance,
                             routing.workerID, routing.department, report.reporterKind.rawValue, report.reporter, category.priority,
                             routing.householdsNearby, impactJSON, mediaJSON, duplicateOf, timeline.state.rawValue, timeline.registeredAt,
                             timeline.updatedAt, timeline.stepStartedAt, timeline.stepDeadline, timeline.handlingDeadline, timeline.closedAt, timeline.events])
        if appendEvents {
            for (i, event) in events.enumerated() { try append(event, caseID: next, seq: i + 1, db) }
        }
        return (next, code)
    }

    // MARK: Transitions

    /// Applies `action` to a case in one transaction: the log is replayed, the machine checks the action, the
    /// event is appended and the case row set to the new replay. An illegal action is refused naming the allowed ones.
    public static func transition(store: Store, code: String, action: CaseAction, actor: String, note: String? = nil,
                                  extension limit: TimeLimit? = nil, at: Timestamp) throws -> StoredCase {
        guard !actor.isEmpty, actor.count <= 200 else { throw StoreError.badInput("actor must be 1–200 characters") }
        guard (note?.count ?? 0) <= 4000 else { throw StoreError.badInput("note is longer than 4,000 characters") }
        guard action != .register else { throw StoreError.badInput("register is not a transition: report a case instead") }
        if action == .extend && limit == nil { throw StoreError.badInput("extend needs the extension granted, in working hours or days (e.g. 4h, 1d)") }
        return try store.write { db in
            guard let stored = try fetch(db, code: code, withEvents: true) else { throw StoreError.badInput("no case \(code)") }
            let catalog = try CaseSetup.catalog(db)
            guard let category = catalog.category(stored.category) else { throw StoreError.corrupt("case \(code): category \(stored.category) is gone") }
            let calendar = try CaseSetup.calendar(db)
            let timeline = try replay(stored.events, category: category, calendar: calendar)
            let extensionSeconds = limit.map { calendar.seconds(of: $0) }
            let event: CaseEvent
            switch Result(catching: { () throws(CaseError) -> CaseEvent in
                try timeline.next(action, at: at, actor: actor, note: note, extensionSeconds: extensionSeconds)
            }) {
            case .success(let next): event = next
            case .failure(let error): throw StoreError.badInput("case \(code): \(error.description)")
            }
            try append(event, caseID: stored.id, seq: stored.events.count + 1, db)
            let after = try replay(stored.events + [event], category: category, calendar: calendar)
            try db.execute(sql: """
                UPDATE cases SET state = ?, updated_at = ?, step_started_at = ?, step_deadline = ?, handling_deadline = ?, closed_at = ?, events = ? WHERE id = ?
                """, arguments: [after.state.rawValue, after.updatedAt, after.stepStartedAt, after.stepDeadline, after.handlingDeadline, after.closedAt, after.events, stored.id])
            guard let result = try fetch(db, code: code, withEvents: true) else { throw StoreError.corrupt("case \(code) vanished") }
            return result
        }
    }

    static func append(_ event: CaseEvent, caseID: Int64, seq: Int, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO case_events (case_id, seq, action, from_state, to_state, actor, at, note, extension_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [caseID, seq, event.action.rawValue, event.from?.rawValue, event.to.rawValue, event.actor, event.at, event.note, event.extensionSeconds])
    }

    static func replay(_ events: [CaseEvent], category: CaseCategory, calendar: WorkingCalendar) throws -> CaseTimeline {
        do { return try CaseTimeline.replay(events, limits: category.limits, calendar: calendar) } catch {
            throw StoreError.corrupt("case log does not replay: \(error.description)")
        }
    }

    // MARK: Reading

    public static func find(store: Store, code: String) throws -> StoredCase? {
        try store.read { db in try fetch(db, code: code, withEvents: true) }
    }

    static let columns = """
        c.id, c.code, c.category_code, c.description, c.address, c.longitude, c.latitude, c.building_id, c.grid_code, c.community_code,
        c.outside_grids, c.grid_distance_m, w.code, c.department_code, c.reporter_kind, c.reporter, c.priority, c.households_nearby, c.impact,
        c.media, c.duplicate_of, c.state, c.registered_at, c.updated_at, c.step_deadline, c.handling_deadline, c.closed_at, c.events,
        c.step_started_at
        """

    static func decode(_ row: Row) throws -> StoredCase {
        let code: String = row[1]
        guard let state = CaseState(rawValue: row[21]) else { throw StoreError.corrupt("case \(code): state \(row[21] as String) unknown") }
        let impact: FacilityImpact? = try (row[18] as String?).map { try JSONDecoder().decode(FacilityImpact.self, from: Data($0.utf8)) }
        let media = (try? JSONDecoder().decode([String].self, from: Data((row[19] as String).utf8))) ?? []
        return StoredCase(id: row[0], code: code, category: row[2], description: row[3], address: row[4],
                          point: Coordinate(longitude: row[5], latitude: row[6]), buildingID: row[7], grid: row[8], community: row[9],
                          outsideGrids: (row[10] as Int) == 1, gridDistance: row[11], worker: row[12], department: row[13], reporterKind: row[14],
                          reporter: row[15], priority: row[16], householdsNearby: row[17], impact: impact, media: media, duplicateOf: row[20],
                          state: state, registeredAt: row[22], updatedAt: row[23], stepDeadline: row[24], handlingDeadline: row[25],
                          closedAt: row[26], eventCount: row[27], stepStartedAt: row[28])
    }

    static func fetch(_ db: Database, code: String, withEvents: Bool) throws -> StoredCase? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM cases c LEFT JOIN workers w ON w.id = c.worker_id WHERE c.code = ?"),
                                         arguments: [code]) else { return nil }
        var stored = try decode(row)
        if withEvents { stored.events = try events(db, caseID: stored.id) }
        return stored
    }

    static func events(_ db: Database, caseID: Int64) throws -> [CaseEvent] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT action, from_state, to_state, at, actor, note, extension_seconds FROM case_events WHERE case_id = ? ORDER BY seq
            """), arguments: [caseID]).map(event)
    }

    static func event(_ row: Row) throws -> CaseEvent {
        guard let action = CaseAction(rawValue: row[0]), let to = CaseState(rawValue: row[2]) else {
            throw StoreError.corrupt("case event with unknown action or state \(row[0] as String)/\(row[2] as String)")
        }
        let from: CaseState? = try (row[1] as String?).map {
            guard let state = CaseState(rawValue: $0) else { throw StoreError.corrupt("case event with unknown state \($0)") }
            return state
        }
        return CaseEvent(action: action, from: from, to: to, at: row[3], actor: row[4], note: row[5], extensionSeconds: row[6])
    }

    /// Which cases a list holds. `status`: open, closed, or one state's name.
    public struct Filter: Sendable {
        public var status: String?
        public var category: String?
        public var grid: String?
        public var community: String?
        public var overdueAt: Timestamp?
        public var codes: [String]?
        public var registeredFrom: Timestamp?
        public var registeredTo: Timestamp?
        public var bbox: BoundingBox?
        public var limit = 1000
        public var offset = 0
        public init() {}
    }

    public static func list(store: Store, filter: Filter) throws -> (cases: [StoredCase], matched: Int) {
        var clauses: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        switch filter.status {
        case nil: break
        case "open": clauses.append("c.state NOT IN ('closed', 'void')")
        case "closed": clauses.append("c.state IN ('closed', 'void')")
        case let state?:
            guard CaseState(rawValue: state) != nil else {
                throw StoreError.badInput("status must be open, closed or a state (\(CaseState.allCases.map(\.rawValue).joined(separator: ", "))), got \(state)")
            }
            clauses.append("c.state = ?"); arguments.append(state)
        }
        if let category = filter.category { clauses.append("c.category_code = ?"); arguments.append(category) }
        if let grid = filter.grid { clauses.append("c.grid_code = ?"); arguments.append(grid) }
        if let community = filter.community { clauses.append("c.community_code = ?"); arguments.append(community) }
        if let now = filter.overdueAt {
            clauses.append("c.state NOT IN ('closed', 'void') AND c.step_deadline IS NOT NULL AND c.step_deadline < ?"); arguments.append(now)
        }
        if let codes = filter.codes {
            guard !codes.isEmpty, codes.count <= 1000 else { throw StoreError.badInput("between 1 and 1,000 case codes") }
            clauses.append("c.code IN (\(codes.map { _ in "?" }.joined(separator: ",")))"); arguments += codes
        }
        if let from = filter.registeredFrom { clauses.append("c.registered_at >= ?"); arguments.append(from) }
        if let to = filter.registeredTo { clauses.append("c.registered_at <= ?"); arguments.append(to) }
        if let box = filter.bbox {
            clauses.append("c.longitude BETWEEN ? AND ? AND c.latitude BETWEEN ? AND ?")
            arguments += [box.minLongitude, box.maxLongitude, box.minLatitude, box.maxLatitude]
        }
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let limit = max(0, min(filter.limit, 10_000)), offset = max(0, filter.offset)
        let args = StatementArguments(arguments.map { $0.databaseValue })
        return try store.read { db in
            let matched = try Int.fetchOne(db, sql: "SELECT count(*) FROM cases c \(whereSQL)", arguments: args) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT \(columns) FROM cases c LEFT JOIN workers w ON w.id = c.worker_id \(whereSQL) ORDER BY c.id LIMIT \(limit) OFFSET \(offset)
                """, arguments: args)
            return (try rows.map(decode), matched)
        }
    }

    // MARK: Consistency and figures

    /// Cases whose stored state, deadlines or event count differ from the replay of their log (empty: consistent).
    public static func inconsistent(store: Store) throws -> [String] {
        try store.read { db in
            let catalog = try CaseSetup.catalog(db)
            let calendar = try CaseSetup.calendar(db)
            var bad: [String] = []
            for row in try Row.fetchAll(db, sql: "SELECT \(columns) FROM cases c LEFT JOIN workers w ON w.id = c.worker_id ORDER BY c.id") {
                let stored = try decode(row)
                let events = try events(db, caseID: stored.id)
                guard let category = catalog.category(stored.category),
                      let timeline = try? CaseTimeline.replay(events, limits: category.limits, calendar: calendar),
                      timeline.state == stored.state, timeline.events == stored.eventCount, timeline.stepDeadline == stored.stepDeadline,
                      timeline.closedAt == stored.closedAt, timeline.updatedAt == stored.updatedAt,
                      timeline.stepStartedAt == stored.stepStartedAt else {
                    bad.append(stored.code)
                    continue
                }
            }
            return bad
        }
    }

    /// Evaluation figures per unit over [from, to) as `CaseFigures` defines them, at `now`: the period's cases and the
    /// open ones of any time with the outcome their rows keep (`CaseCounters`), found through two index searches.
    public static func figures(store: Store, unit: CaseFigures.Unit, from: Timestamp, to: Timestamp, now: Timestamp) throws -> [CaseFigures] {
        guard from < to else { throw StoreError.badInput("the period is empty: its start must be before its end") }
        try BuildingPlaces.refreshIfNeeded(store)
        try CaseCounters.refreshIfNeeded(store)
        let (cases, households) = try store.read { db -> ([(key: String?, outcome: CaseOutcome)], [String: Int]) in
            // A writer since the refresh may have left counters unknown or changed the calendar: then the logs are
            // replayed, which gives the same figures, slower.
            let cases: [(key: String?, outcome: CaseOutcome)]
            if try CaseCounters.isCurrent(db) {
                cases = try storedOutcomes(db, unit: unit, from: from, to: to)
            } else {
                cases = try replayedCases(db, from: from, to: to).map { (key: $0.key(unit), outcome: $0.outcome) }
            }
            return (cases, try unitHouseholds(db, unit: unit, at: now))
        }
        return CaseFigures.evaluate(keyed: cases, unit: unit, from: from, to: to, now: now, households: households)
    }

    /// The same figures from the replay of every chosen case's log: the definition the kept outcomes must equal.
    static func figuresByReplay(store: Store, unit: CaseFigures.Unit, from: Timestamp, to: Timestamp, now: Timestamp) throws -> [CaseFigures] {
        guard from < to else { throw StoreError.badInput("the period is empty: its start must be before its end") }
        try BuildingPlaces.refreshIfNeeded(store)
        let (cases, households) = try store.read { db in (try replayedCases(db, from: from, to: to), try unitHouseholds(db, unit: unit, at: now)) }
        return CaseFigures.evaluate(cases, unit: unit, from: from, to: to, now: now, households: households)
    }

    /// The period's cases (?1 ≤ registered_at < ?2) and the open ones of any time: their unit's key (the community for
    /// a street) and the outcome kept in their rows. The period by the registered_at index; the open cases by the
    /// (category, state, registered_at) one, named so that the duplicate search's box index is not taken for it.
    static func storedOutcomesSQL(_ unit: CaseFigures.Unit) -> String {
        let key: String
        switch unit {
        case .grid: key = "c.grid_code"
        case .community, .street: key = "c.community_code"
        case .worker: key = "w.code"
        case .department: key = "c.department_code"
        }
        let join = unit == .worker ? "LEFT JOIN workers w ON w.id = c.worker_id" : ""
        let columns = "\(key), c.state, c.registered_at, c.closed_at, c.step_deadline, c.late_steps, c.reworks, c.extensions"
        return """
            SELECT \(columns) FROM cases c \(join) WHERE c.registered_at >= ?1 AND c.registered_at < ?2
            UNION ALL
            SELECT \(columns) FROM cases c INDEXED BY cases_category_state \(join)
            WHERE c.category_code IN (SELECT code FROM case_categories) AND c.state IN (\(openStates))
              AND (c.registered_at < ?1 OR c.registered_at >= ?2)
            """
    }

    /// The period's cases and the open ones of any time, with their unit's key and the outcome kept in their rows.
    static func storedOutcomes(_ db: Database, unit: CaseFigures.Unit, from: Timestamp, to: Timestamp) throws -> [(key: String?, outcome: CaseOutcome)] {
        let cursor = try Row.fetchCursor(db, sql: storedOutcomesSQL(unit), arguments: [from, to])
        var cases: [(key: String?, outcome: CaseOutcome)] = []
        while let row = try cursor.next() {
            guard let state = CaseState(rawValue: row[1]) else { throw StoreError.corrupt("a case's state \(row[1] as String) is unknown") }
            guard let lateSteps = row[5] as Int? else { throw StoreError.corrupt("a case's counters are unknown") }
            let outcome = CaseOutcome(state: state, registeredAt: row[2], closedAt: row[3], stepDeadline: row[4], lateSteps: lateSteps,
                                      reworks: row[6], extensions: row[7])
            let unitKey: String? = row[0]
            cases.append((key: unit == .street ? unitKey.map(CaseFigures.street(ofCommunity:)) : unitKey, outcome: outcome))
        }
        return cases
    }

    /// The period's cases and the open ones of any time, each replayed from its log.
    static func replayedCases(_ db: Database, from: Timestamp, to: Timestamp) throws -> [EvaluatedCase] {
        let catalog = try CaseSetup.catalog(db)
        let calendar = try CaseSetup.calendar(db)
        let chosen = """
            WITH chosen(id) AS MATERIALIZED (
                SELECT id FROM cases WHERE registered_at >= ?1 AND registered_at < ?2
                UNION SELECT id FROM cases INDEXED BY cases_category_state
                WHERE category_code IN (SELECT code FROM case_categories) AND state IN (\(openStates)))
            """
        let rows = try Row.fetchAll(db, sql: """
            \(chosen)
            SELECT c.id, c.category_code, c.grid_code, c.community_code, w.code, c.department_code FROM cases c
            LEFT JOIN workers w ON w.id = c.worker_id
            WHERE c.id IN chosen ORDER BY c.id
            """, arguments: [from, to])
        var eventsByCase: [Int64: [CaseEvent]] = [:]
        eventsByCase.reserveCapacity(rows.count)
        // Actor and note play no part in a replay: not read.
        let cursor = try Row.fetchCursor(db, sql: """
            \(chosen)
            SELECT e.action, e.from_state, e.to_state, e.at, e.extension_seconds, e.case_id FROM case_events e
            WHERE e.case_id IN chosen ORDER BY e.case_id, e.seq
            """, arguments: [from, to])
        while let row = try cursor.next() {
            guard let action = CaseAction(rawValue: row[0]), let to = CaseState(rawValue: row[2]) else {
                throw StoreError.corrupt("case event with unknown action or state \(row[0] as String)/\(row[2] as String)")
            }
            let from: CaseState? = try (row[1] as String?).map {
                guard let state = CaseState(rawValue: $0) else { throw StoreError.corrupt("case event with unknown state \($0)") }
                return state
            }
            eventsByCase[row[5], default: []].append(CaseEvent(action: action, from: from, to: to, at: row[3], actor: "", extensionSeconds: row[4]))
        }
        var evaluated: [EvaluatedCase] = []
        evaluated.reserveCapacity(rows.count)
        for row in rows {
            let id: Int64 = row[0]
            guard let category = catalog.category(row[1]) else { throw StoreError.corrupt("case \(id): category \(row[1] as String) is gone") }
            let timeline = try replay(eventsByCase[id] ?? [], category: category, calendar: calendar)
            evaluated.append(EvaluatedCase(grid: row[2], community: row[3], worker: row[4], department: row[5], timeline: timeline))
        }
        return evaluated
    }

    static func unitHouseholds(_ db: Database, unit: CaseFigures.Unit, at now: Timestamp) throws -> [String: Int] {
        let sql: String
        switch unit {
        case .grid: sql = "SELECT p.grid_code, sum(b.households) FROM building_places p JOIN buildings b ON b.id = p.building_id WHERE p.grid_code IS NOT NULL GROUP BY 1"
        case .community: sql = "SELECT p.community_code, sum(b.households) FROM building_places p JOIN buildings b ON b.id = p.building_id WHERE p.community_code IS NOT NULL GROUP BY 1"
        case .street: sql = "SELECT substr(p.community_code, 1, 9), sum(b.households) FROM building_places p JOIN buildings b ON b.id = p.building_id WHERE p.community_code IS NOT NULL GROUP BY 1"
        case .worker:
            return Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                SELECT w.code, sum(b.households) FROM worker_grids g JOIN workers w ON w.id = g.worker_id
                JOIN building_places p ON p.grid_code = g.grid_code JOIN buildings b ON b.id = p.building_id
                WHERE g.valid_from <= ?1 AND (g.valid_to IS NULL OR g.valid_to > ?1) GROUP BY 1
                """, arguments: [now]).map { ($0[0] as String, $0[1] as Int) })
        case .department: return [:]
        }
        return Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: sql).map { ($0[0] as String, $0[1] as Int) })
    }
}
