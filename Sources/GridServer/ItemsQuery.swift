import Foundation
import GridModel
import Hummingbird

/// Limits that keep every request bounded: no request scans a whole table unbounded.
public struct RequestLimits: Sendable {
    public var defaultLimit = 100
    public var maximumLimit = 10_000
    /// Largest `bbox`, in square degrees (1 ≈ 100 km × 110 km at 30° N): a city, not a province.
    public var maximumBBoxArea = 1.0
    public var maximumBodyBytes = 1 << 20
    public var requestTimeoutSeconds = 30.0
    /// Isochrone searches computed at once (one less than the cores, at least one): the others answer requests.
    public var maximumConcurrentIsochrones = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
    /// Grid runs computed at once in the background.
    public var maximumConcurrentRuns = 1
    public init() {}
}

/// A validated `/collections/{id}/items` request. Every error names its parameter.
struct ItemsQuery: Sendable {
    enum SortKey: Sendable { case ascending(FeatureCollection.Property), descending(FeatureCollection.Property) }

    var bbox: BoundingBox?
    /// CRS the bbox was given in (the box itself stays in that CRS for the exact test).
    var bboxCRS: CoordinateReferenceSystem = .crs84
    var limit: Int
    var offset = 0
    /// Properties to return, in order; nil = all.
    var properties: [FeatureCollection.Property]?
    var sortBy: [SortKey] = []
    /// Equality filters `?name=value`.
    var filters: [(FeatureCollection.Property, String)] = []
    var crs: CoordinateReferenceSystem = .crs84

    init(collection: FeatureCollection, parameters: [(key: Substring, value: Substring)], limits: RequestLimits) throws {
        limit = limits.defaultLimit
        var seen = Set<String>()
        var bboxText: String?
        for (rawKey, rawValue) in parameters {
            let key = String(rawKey), value = String(rawValue)
            guard seen.insert(key).inserted else { throw APIProblem.badParameter(key, "\(key) is given more than once") }
            switch key {
            case "bbox": bboxText = value
            case "bbox-crs":
                guard let crs = CoordinateReferenceSystem(uri: value) else { throw Self.unknownCRS("bbox-crs", value) }
                bboxCRS = crs
            case "crs":
                guard let crs = CoordinateReferenceSystem(uri: value) else { throw Self.unknownCRS("crs", value) }
                self.crs = crs
            case "limit":
                guard let number = Int(value), number >= 1 else {
                    throw APIProblem.badParameter("limit", "limit must be a whole number ≥ 1 (pages hold at most \(limits.maximumLimit)), not \"\(value)\"")
                }
                // Above the maximum the page is clamped, not refused (OGC API – Features Part 1, 7.15.3): clients page on.
                limit = min(number, limits.maximumLimit)
            case "offset":
                guard let number = Int(value), number >= 0 else {
                    throw APIProblem.badParameter("offset", "offset must be a whole number ≥ 0, not \"\(value)\"")
                }
                offset = number
            case "properties":
                properties = try value.split(separator: ",").map { name in
                    guard let property = collection.property(named: String(name)) else {
                        throw APIProblem.badParameter("properties", "\(collection.id) has no property \"\(name)\"; it has \(collection.properties.map(\.name).joined(separator: ", "))")
                    }
                    return property
                }
            case "sortby":
                sortBy = try value.split(separator: ",").map { item in
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
            case "datetime":
                // The layers carry no time: every feature matches any well-formed instant or interval.
                // An empty value is no filter, as an absent one (form style sends empty values).
                let parts = value.split(separator: "/", omittingEmptySubsequences: false)
                guard (1...2).contains(parts.count), parts.allSatisfy({ $0 == ".." || $0.isEmpty || $0.first?.isASCII == true && $0.first?.isNumber == true }) else {
                    throw APIProblem.badParameter("datetime", "datetime must be an RFC 3339 instant or interval (a/b, ../b, a/..), not \"\(value)\"")
                }
            default:
                guard let property = collection.property(named: key), property.queryable else {
                    throw APIProblem.badParameter(key, "unknown parameter \"\(key)\"; \(collection.id) can be filtered by \(collection.properties.filter(\.queryable).map(\.name).joined(separator: ", "))")
                }
                if property.type == .boolean, !["true", "false"].contains(value) {
                    throw APIProblem.badParameter(key, "\(key) must be true or false, not \"\(value)\"")
                }
                if property.type == .integer, Int64(value) == nil {
                    throw APIProblem.badParameter(key, "\(key) must be a whole number, not \"\(value)\"")
                }
                if property.type == .number, Double(value)?.isFinite != true {
                    throw APIProblem.badParameter(key, "\(key) must be a finite number, not \"\(value)\"")
                }
                filters.append((property, value))
            }
        }
        if let bboxText { bbox = try Self.parseBBox(bboxText, crs: bboxCRS, limits: limits) }
    }

    static func unknownCRS(_ name: String, _ value: String) -> APIProblem {
        APIProblem.badParameter(name, "unsupported CRS \"\(value)\"; supported: \(CoordinateReferenceSystem.allCases.map(\.uri).joined(separator: ", "))")
    }

    /// The box in the given CRS's own axis order, as [minX, minY, maxX, maxY] of that CRS.
    static func parseBBox(_ text: String, crs: CoordinateReferenceSystem, limits: RequestLimits) throws -> BoundingBox {
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
        let area = (box.maxLongitude - box.minLongitude) * (box.maxLatitude - box.minLatitude)
        guard area <= limits.maximumBBoxArea else {
            throw APIProblem.badParameter("bbox", "bbox covers \(area) square degrees; at most \(limits.maximumBBoxArea) are served per request")
        }
        return box
    }
}
