import Foundation
import GRDB
import GridCases
import GridModel

/// The cases collection in the feature engine: rows selected, paged and filtered like any collection's, each
/// rendered with the case's one JSON shape (`StoredCase.json`) at the query's instant. A feature's light and
/// overdue flag move with the clock, so each carries the instant its rendering next changes and the cache
/// drops it then (see `EncodedFeature`).
extension FeatureReader {
    func encodeCases(_ query: FeatureQuery, ids: [Int64]?, paged: Bool, _ db: Database,
                     _ emit: (Int64, [UInt8], Int64) throws -> Void) throws {
        let collection = query.collection
        let calendar = try CaseSetup.calendar(db)
        let (whereSQL, whereArguments) = whereClause(collection, query, coverage: nil, ids: ids)
        var sql = "SELECT \(CaseRepository.columns), AsBinary(t.geom) FROM cases t JOIN cases c ON c.id = t.id"
            + " LEFT JOIN workers w ON w.id = c.worker_id" + whereSQL + orderClause(query)
        var arguments = whereArguments
        if paged {
            sql += " LIMIT ? OFFSET ?"
            arguments += [query.limit, query.offset]
        }
        let names = query.properties.map { $0.map(\.name) }
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
        var count = 0
        while let row = try rows.next() {
            let stored = try CaseRepository.decode(row)
            var geometry = try (row[29] as Data?).map { try Geometry(wkb: [UInt8]($0)) } ?? .point(stored.point)
            if query.crs != .crs84 { geometry = query.crs.geometryForOutput(fromWGS84: geometry) }
            let object = stored.json(calendar: calendar, now: query.now)
            let properties: [(String, JSONValue)] = (names ?? object.keys.sorted()).compactMap { name in
                object[name].map { (name, Self.jsonValue($0)) }
            }
            var out: [UInt8] = []
            out.reserveCapacity(1024)
            GeoJSON.appendFeature(id: .string(stored.code), geometry: geometry, properties: properties,
                                  precision: query.crs.precision, to: &out)
            try emit(stored.id, out, Self.renderingChanges(stored, calendar: calendar, now: query.now))
            count += 1
            if count & 255 == 0 { try query.checkDeadline() }
        }
    }

    /// The first instant after `now` at which the case's light or overdue flag differs from its value at `now`
    /// (`Int64.max`: not before its row changes). Yellow starts at the first second the step has used 80 % of
    /// its working time; red and overdue one second after the deadline.
    static func renderingChanges(_ stored: CaseRepository.StoredCase, calendar: WorkingCalendar, now: Timestamp) -> Int64 {
        guard stored.state.isOpen, let deadline = stored.stepDeadline, now <= deadline else { return .max }
        var next = deadline + 1
        if let start = stored.stepStartedAt, stored.light(calendar: calendar, now: now) == .green {
            let share = DeadlineLight.yellowShare * Double(calendar.workingSeconds(from: start, to: deadline))
            var used = Int64(share.rounded(.up))
            while Double(used) < share { used += 1 }
            // Trusted only when it is exactly where the light turns; otherwise not cached past this second.
            if let yellow = calendar.adding(workingSeconds: used, to: start), yellow > now,
               stored.light(calendar: calendar, now: yellow) == .yellow, stored.light(calendar: calendar, now: yellow - 1) == .green {
                next = min(next, yellow)
            } else {
                next = now + 1
            }
        }
        return next
    }

    /// The JSON object of `StoredCase.json` as a `JSONValue`.
    static func jsonValue(_ value: Any) -> JSONValue {
        switch value {
        case is NSNull: return .null
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .number(Double(number))
        case let number as Int64: return .number(Double(number))
        case let number as Double: return .number(number)
        case let text as String: return .string(text)
        case let items as [Any]: return .array(items.map(jsonValue))
        case let object as [String: Any]: return .object(object.mapValues(jsonValue))
        default: return .string(String(describing: value))
        }
    }
}
