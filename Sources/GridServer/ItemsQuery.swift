import Foundation
import GridCases
import GridModel
import GridStore
import Hummingbird

/// Limits that keep every request bounded: no request scans a whole table unbounded.
public struct RequestLimits: Sendable {
    public var defaultLimit = 100
    public var maximumLimit = 10_000
    public var maximumBodyBytes = 1 << 20
    public var requestTimeoutSeconds = 30.0
    /// Isochrone searches computed at once (one less than the cores, at least one): the others answer requests.
    public var maximumConcurrentIsochrones = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
    /// Grid runs computed at once in the background.
    public var maximumConcurrentRuns = 1
    public init() {}
}

/// Parses a `/collections/{id}/items` request into the store's typed query. Every error names its parameter.
/// A `bbox` of any size is taken: the store pages through what it holds (clients such as QGIS ask for their view).
enum ItemsQuery {
    static func parse(collection: FeatureCollection, parameters: [(key: Substring, value: Substring)],
                      limits: RequestLimits) throws -> FeatureQuery {
        var query = FeatureQuery(collection: collection, limit: limits.defaultLimit)
        var seen = Set<String>()
        var bboxText: String?
        for (rawKey, rawValue) in parameters {
            let key = String(rawKey), value = String(rawValue)
            guard seen.insert(key).inserted else { throw APIProblem.badParameter(key, "\(key) is given more than once") }
            switch key {
            case "bbox": bboxText = value
            case "bbox-crs":
                guard let crs = CoordinateReferenceSystem(uri: value) else { throw Self.unknownCRS("bbox-crs", value) }
                query.bboxCRS = crs
            case "crs":
                guard let crs = CoordinateReferenceSystem(uri: value) else { throw Self.unknownCRS("crs", value) }
                query.crs = crs
            case "limit":
                guard let number = Int(value), number >= 1 else {
                    throw APIProblem.badParameter("limit", "limit must be a whole number ≥ 1 (pages hold at most \(limits.maximumLimit)), not \"\(value)\"")
                }
                // Above the maximum the page is clamped, not refused (OGC API – Features Part 1, 7.15.3): clients page on.
                query.limit = min(number, limits.maximumLimit)
            case "offset":
                guard let number = Int(value), number >= 0 else {
                    throw APIProblem.badParameter("offset", "offset must be a whole number ≥ 0, not \"\(value)\"")
                }
                query.offset = number
            case "properties":
                query.properties = try value.split(separator: ",").map { name in
                    guard let property = collection.property(named: String(name)) else {
                        throw APIProblem.badParameter("properties", "\(collection.id) has no property \"\(name)\"; it has \(collection.properties.map(\.name).joined(separator: ", "))")
                    }
                    return property
                }
            case "sortby":
                query.sortBy = try value.split(separator: ",").map { item in
                    var name = Substring(item)
                    var descending = false
                    // A "+" in a query string may arrive decoded as a space.
                    if let first = name.first, first == "+" || first == " " { name = name.dropFirst() }
                    else if name.first == "-" { descending = true; name = name.dropFirst() }
                    guard let property = collection.property(named: String(name)), property.queryable else {
                        throw APIProblem.badParameter("sortby", "\(collection.id) cannot be sorted by \"\(name)\"; sortable: \(collection.properties.filter(\.queryable).map(\.name).joined(separator: ", "))")
                    }
                    return descending ? .descending(property) : .ascending(property)
                }
            case "f":
                guard ["json", "geojson"].contains(value) else {
                    throw APIProblem.badParameter("f", "f must be json or geojson, not \"\(value)\"")
                }
            case "datetime" where !collection.carriesTime:
                // The layers carry no time: every feature matches any well-formed instant or interval.
                // An empty value is no filter, as an absent one (form style sends empty values).
                let parts = value.split(separator: "/", omittingEmptySubsequences: false)
                guard (1...2).contains(parts.count), parts.allSatisfy({ $0 == ".." || $0.isEmpty || $0.first?.isASCII == true && $0.first?.isNumber == true }) else {
                    throw APIProblem.badParameter("datetime", "datetime must be an RFC 3339 instant or interval (a/b, ../b, a/..), not \"\(value)\"")
                }
            default:
                if let caseCondition = try Self.caseCondition(collection, key, value) {
                    if let caseCondition { query.caseConditions.append(caseCondition) }
                    continue
                }
                guard let property = collection.property(named: Self.propertyName(collection, key)), property.queryable else {
                    throw APIProblem.badParameter(key, "unknown parameter \"\(key)\"; \(collection.id) can be filtered by \((collection.properties.filter(\.queryable).map(\.name) + collection.parameters.keys.sorted()).joined(separator: ", "))")
                }
                let typed: FeatureQuery.Value
                switch property.type {
                case .boolean:
                    guard ["true", "false"].contains(value) else {
                        throw APIProblem.badParameter(key, "\(key) must be true or false, not \"\(value)\"")
                    }
                    typed = .boolean(value == "true")
                case .integer:
                    guard let number = Int64(value) else {
                        throw APIProblem.badParameter(key, "\(key) must be a whole number, not \"\(value)\"")
                    }
                    typed = .integer(number)
                case .number:
                    guard let number = Double(value), number.isFinite else {
                        throw APIProblem.badParameter(key, "\(key) must be a finite number, not \"\(value)\"")
                    }
                    typed = .number(number)
                case .string:
                    typed = .string(value)
                }
                query.filters.append(FeatureQuery.Filter(property, typed))
            }
        }
        if let bboxText { query.bbox = try Self.parseBBox(bboxText, crs: query.bboxCRS) }
        query.deadline = RequestDeadline.current
        return query
    }

    /// The property a parameter filters: its own name, or the one it is another name of.
    static func propertyName(_ collection: FeatureCollection, _ key: String) -> String {
        if case .alias(let name)? = collection.parameters[key] { return name }
        return key
    }

    /// The cases' `status` and `overdue`; nil for any other parameter. `overdue=false` filters nothing.
    static func caseCondition(_ collection: FeatureCollection, _ key: String, _ value: String) throws -> FeatureQuery.CaseCondition?? {
        switch collection.parameters[key] {
        case .caseStatus?:
            guard value == "open" || value == "closed" || CaseState(rawValue: value) != nil else {
                throw APIProblem.badParameter(key, "status must be open, closed or a state (\(CaseState.allCases.map(\.rawValue).joined(separator: ", "))), not \"\(value.prefix(60))\"")
            }
            return .some(.status(value))
        case .overdue?:
            guard value == "true" || value == "false" else { throw APIProblem.badParameter(key, "overdue must be true or false, not \"\(value.prefix(60))\"") }
            return value == "true" ? .some(.overdue) : .some(nil)
        default:
            return nil
        }
    }

    static func unknownCRS(_ name: String, _ value: String) -> APIProblem {
        APIProblem.badParameter(name, "unsupported CRS \"\(value)\"; supported: \(CoordinateReferenceSystem.allCases.map(\.uri).joined(separator: ", "))")
    }

    /// The box in the given CRS's own axis order, as [minX, minY, maxX, maxY] of that CRS.
    static func parseBBox(_ text: String, crs: CoordinateReferenceSystem) throws -> BoundingBox {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4 || parts.count == 6, parts.allSatisfy({ $0 != nil && $0!.isFinite }) else {
            throw APIProblem.badParameter("bbox", "bbox must be four numbers minx,miny,maxx,maxy (or six with heights), not \"\(text)\"")
        }
        let numbers = parts.map { $0! }
        let (a, b, c, d) = numbers.count == 4 ? (numbers[0], numbers[1], numbers[2], numbers[3]) : (numbers[0], numbers[1], numbers[3], numbers[4])
        // EPSG:4326 and 4490 put latitude first.
        let box = crs.latitudeFirst
            ? BoundingBox(minLongitude: b, minLatitude: a, maxLongitude: d, maxLatitude: c)
            : BoundingBox(minLongitude: a, minLatitude: b, maxLongitude: c, maxLatitude: d)
        guard box.minLongitude <= box.maxLongitude, box.minLatitude <= box.maxLatitude else {
            throw APIProblem.badParameter("bbox", "bbox minimum is above its maximum: \"\(text)\"")
        }
        guard box.minLatitude >= -90, box.maxLatitude <= 90, box.minLongitude >= -180, box.maxLongitude <= 180 else {
            throw APIProblem.badParameter("bbox", "bbox is outside longitude −180…180 / latitude −90…90: \"\(text)\"\(crs.latitudeFirst ? " (this CRS puts latitude first)" : "")")
        }
        return box
    }
}
