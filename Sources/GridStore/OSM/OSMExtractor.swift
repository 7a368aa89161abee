import Foundation
import GridAnalysis
import GridModel

/// What an OSM file contributes to a store, derived by `ImportRules`: no I/O here.
public struct OSMExtract: Sendable {
    public struct Edge: Sendable {
        public var osmWayID: Int64
        public var sourceNode: Int64
        public var targetNode: Int64
        public var length: Meters
        public var highway: String
        public var line: LineString
    }

    public struct Building: Sendable {
        public var sourceID: String
        public var buildingType: String
        public var name: String?
        public var levels: Double
        public var levelsEstimated: Bool
        public var households: Int
        public var householdsBasis: ImportRules.HouseholdBasis
        public var areaSquareMeters: Double
        public var footprint: MultiPolygon
        public var point: Coordinate
    }

    public struct Facility: Sendable {
        public var sourceID: String
        public var category: String
        public var name: String?
        public var capacity: Int?
        public var location: Coordinate
    }

    public var edges: [Edge] = []
    public var buildings: [Building] = []
    public var facilities: [Facility] = []
    /// Named figures in a stable order, for the import summary and the import log.
    public var counts: [(name: String, value: Int)] = []
    public var warnings = WarningList()
}

/// Warnings grouped by kind: every one is counted, the first few of each kind are kept verbatim.
public struct WarningList: Sendable {
    public private(set) var countsByKind: [(kind: String, count: Int)] = []
    public private(set) var examples: [String] = []
    private var kindIndex: [String: Int] = [:]
    public static let examplesPerKind = 20

    public init() {}

    public var total: Int { countsByKind.reduce(0) { $0 + $1.count } }

    public mutating func add(_ kind: String, _ message: @autoclosure () -> String) {
        let index: Int
        if let existing = kindIndex[kind] {
            index = existing
        } else {
            index = countsByKind.count
            kindIndex[kind] = index
            countsByKind.append((kind, 0))
        }
        countsByKind[index].count += 1
        if countsByKind[index].count <= Self.examplesPerKind { examples.append(message()) }
    }
}

/// Receives the rows an extract derives, one at a time and in order, so that an import can write them as they come.
public protocol OSMExtractSink {
    associatedtype Failure: Error
    mutating func add(_ edge: OSMExtract.Edge) throws(Failure)
    mutating func add(_ building: OSMExtract.Building) throws(Failure)
    mutating func add(_ facility: OSMExtract.Facility) throws(Failure)
}

/// Keeps every row in the extract's arrays.
struct OSMExtractCollector: OSMExtractSink {
    var edges: [OSMExtract.Edge] = []
    var buildings: [OSMExtract.Building] = []
    var facilities: [OSMExtract.Facility] = []
    mutating func add(_ edge: OSMExtract.Edge) { edges.append(edge) }
    mutating func add(_ building: OSMExtract.Building) { buildings.append(building) }
    mutating func add(_ facility: OSMExtract.Facility) { facilities.append(facility) }
}

public enum OSMExtractor {
    /// Derives everything and keeps the rows in the result.
    public static func extract(_ data: OSMData, rules: ImportRules) -> OSMExtract {
        var collector = OSMExtractCollector()
        var result = extract(data, rules: rules, into: &collector)
        result.edges = collector.edges
        result.buildings = collector.buildings
        result.facilities = collector.facilities
        return result
    }

    /// Derives network edges, buildings and facilities and hands each to `sink` as soon as it is made (edges first,
    /// then buildings, then facilities, each in the order of the file); the result holds the counts and warnings only.
    public static func extract<Sink: OSMExtractSink>(
        _ data: OSMData, rules: ImportRules, into sink: inout Sink
    ) throws(Sink.Failure) -> OSMExtract {
        var result = OSMExtract()
        // Only relations look ways up by id: index just their members (a city has millions of ways, few relations).
        var memberWayIDs = Set<Int64>()
        for relation in data.relations {
            for member in relation.members where member.kind == .way { memberWayIDs.insert(member.ref) }
        }
        var wayByID: [Int64: OSMWay] = [:]
        wayByID.reserveCapacity(memberWayIDs.count)
        for way in data.ways where memberWayIDs.contains(way.id) && wayByID[way.id] == nil { wayByID[way.id] = way }

        // Node positions of every way, looked up once (-1: not in the file); every pass below reuses them.
        let resolved = ResolvedWayNodes(data)
        var missingReferences = 0
        var waysWithMissingNodes = 0
        var highwayWays = 0
        for (way, indices) in zip(data.ways, resolved) {
            if way.tags["highway"] != nil { highwayWays += 1 }
            let missing = indices.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
            if missing > 0 {
                missingReferences += missing
                waysWithMissingNodes += 1
            }
        }

        var highwayVerdicts: [String: Bool] = [:]
        let walkable = data.ways.indices.filter { rules.isWalkable(data.ways[$0].tags, memo: &highwayVerdicts) }
        let edgeCount = try walkingEdges(walkable, resolved: resolved, data: data, into: &sink, warnings: &result.warnings)

        let areas = LandUseAreas(data, resolved: resolved, ways: wayByID, rules: rules)
        var buildingObjects = 0
        var skippedBuildings = 0
        var buildingCount = 0
        var households = 0
        var facilityCount = 0
        var facilitiesByCategory: [String: Int] = [:]
        func add(_ item: OSMExtract.Building) throws(Sink.Failure) {
            buildingCount += 1
            households += item.households
            try sink.add(item)
        }
        func add(_ item: OSMExtract.Facility) throws(Sink.Failure) {
            facilityCount += 1
            facilitiesByCategory[item.category, default: 0] += 1
            try sink.add(item)
        }
        // Facilities found among the relations are handed over after every building, as the rows have always come.
        var relationFacilities: [OSMExtract.Facility] = []
        for (way, indices) in zip(data.ways, resolved) where way.tags["building"] != nil {
            buildingObjects += 1
            guard let polygon = closedWayPolygon(way, indices, data: data, what: "building", warnings: &result.warnings) else {
                skippedBuildings += 1
                continue
            }
            try add(building(
                sourceID: "w\(way.id)", tags: way.tags, footprint: MultiPolygon([polygon]), rules: rules, areas: areas,
                warnings: &result.warnings))
        }
        var multipolygons = 0
        for relation in data.relations {
            let type = relation.tags["type"]
            let isBuilding = relation.tags["building"] != nil
            if isBuilding { buildingObjects += 1 }
            // Areas are multipolygons; some mappers leave out the type (or say "building") on a plain outline.
            guard type == "multipolygon" || type == "building" || type == nil else {
                if isBuilding {
                    skippedBuildings += 1
                    result.warnings.add("building relation that is not an area", "relation \(relation.id): type=\(type ?? "") is not an area; skipped")
                }
                continue
            }
            if type == "multipolygon" { multipolygons += 1 }
            let category = rules.category(of: relation.tags)
            guard isBuilding || category != nil else { continue }
            guard let area = multipolygon(relation, ways: wayByID, data: data, warnings: &result.warnings) else {
                if isBuilding { skippedBuildings += 1 }
                continue
            }
            if isBuilding {
                try add(building(
                    sourceID: "r\(relation.id)", tags: relation.tags, footprint: area, rules: rules, areas: areas,
                    warnings: &result.warnings))
            }
            if let category {
                relationFacilities.append(facility("r\(relation.id)", category, relation.tags, area.representativePoint))
            }
        }

        for item in relationFacilities { try add(item) }
        for node in data.taggedNodes {
            guard let category = rules.category(of: node.tags), let index = data.index(ofNode: node.id) else { continue }
            let location = Coordinate(longitude: data.longitudes[Int(index)], latitude: data.latitudes[Int(index)])
            try add(facility("n\(node.id)", category, node.tags, location))
        }
        for (way, indices) in zip(data.ways, resolved) where !way.tags.isEmpty {
            guard let category = rules.category(of: way.tags) else { continue }
            guard let polygon = closedWayPolygon(way, indices, data: data, what: category, warnings: &result.warnings) else { continue }
            try add(facility("w\(way.id)", category, way.tags, polygon.representativePoint))
        }

        result.counts = [
            ("nodes read", data.nodeCount),
            ("ways read", data.ways.count),
            ("relations read", data.relations.count),
            ("highway ways", highwayWays),
            ("walkable ways", walkable.count),
            ("network edges", edgeCount),
            ("building objects", buildingObjects),
            ("buildings imported", buildingCount),
            ("buildings skipped", skippedBuildings),
            ("households estimated", households),
            ("land-use areas", areas.count),
            ("multipolygon relations", multipolygons),
            ("facilities", facilityCount),
            ("missing node references", missingReferences),
            ("ways with missing nodes", waysWithMissingNodes),
            ("duplicate nodes", data.duplicateNodeCount),
        ]
        for category in rules.categories {
            result.counts.append(("facilities: \(category)", facilitiesByCategory[category] ?? 0))
        }
        return result
    }

    // MARK: Walking network

    /// Splits walkable ways at junctions (nodes shared by ways, way ends) and at missing nodes; returns the edge count.
    static func walkingEdges<Sink: OSMExtractSink>(
        _ walkable: [Int], resolved: ResolvedWayNodes, data: OSMData, into sink: inout Sink, warnings: inout WarningList
    ) throws(Sink.Failure) -> Int {
        // Uses per node index; way ends count twice so they always end an edge.
        var uses = [UInt8](repeating: 0, count: data.nodeCount)
        func use(_ index: Int32, _ times: UInt8) {
            if index >= 0 { uses[Int(index)] = UInt8(min(3, Int(uses[Int(index)]) + Int(times))) }
        }
        for w in walkable {
            let indices = resolved[w], ids = data.ways[w].nodeIDs
            guard !indices.isEmpty else { continue }
            for index in indices { use(index, 1) }
            use(indices[0], 1)
            use(indices[indices.count - 1], 1)
            // A closed way with no other junction would become a self-loop: cut it in the middle too.
            if ids.count > 2, ids.first == ids.last { use(indices[indices.count / 2], 2) }
        }

        var edgeCount = 0
        var points: [Coordinate] = []
        for w in walkable {
            let way = data.ways[w], indices = resolved[w]
            let highway = way.tags["highway"] ?? ""
            var startNode: Int64 = 0
            var lastNode: Int64 = 0
            var length = 0.0
            func flush() throws(Sink.Failure) {
                if points.count >= 2, let line = try? LineString(points) {
                    edgeCount += 1
                    try sink.add(OSMExtract.Edge(
                        osmWayID: way.id, sourceNode: startNode, targetNode: lastNode,
                        length: Meters(length), highway: highway, line: line))
                }
                points.removeAll(keepingCapacity: true)
                length = 0
            }
            for (id, index) in zip(way.nodeIDs, indices) {
                guard index >= 0 else {
                    try flush()
                    warnings.add("missing node", "way \(way.id): node \(id) is not in the file; the way is split there")
                    continue
                }
                if !points.isEmpty && id == lastNode { continue }
                let point = Coordinate(longitude: data.longitudes[Int(index)], latitude: data.latitudes[Int(index)])
                if let previous = points.last {
                    length += Geodesy.distance(previous, point).value
                } else {
                    startNode = id
                }
                points.append(point)
                lastNode = id
                if points.count >= 2 && uses[Int(index)] >= 2 {
                    try flush()
                    points.append(point)
                    startNode = id
                }
            }
            try flush()
        }
        return edgeCount
    }

    // MARK: Areas

    static func closedWayPolygon(_ way: OSMWay, _ indices: [Int32], data: OSMData, what: String, warnings: inout WarningList) -> Polygon? {
        guard !indices.contains(where: { $0 < 0 }) else {
            warnings.add("\(what) with missing nodes", "\(what) way \(way.id): some nodes are not in the file; skipped")
            return nil
        }
        guard way.nodeIDs.count >= 4, way.nodeIDs.first == way.nodeIDs.last else {
            if way.nodeIDs.first != way.nodeIDs.last {
                warnings.add("unclosed \(what)", "\(what) way \(way.id): not closed; skipped")
            } else {
                warnings.add("degenerate \(what)", "\(what) way \(way.id): fewer than 4 nodes; skipped")
            }
            return nil
        }
        let coordinates = indices.map { Coordinate(longitude: data.longitudes[Int($0)], latitude: data.latitudes[Int($0)]) }
        do {
            return Polygon(exterior: try LinearRing(coordinates))
        } catch {
            warnings.add("invalid \(what)", "\(what) way \(way.id): \(error); skipped")
            return nil
        }
    }

    static func coordinates(of ids: [Int64], data: OSMData) -> [Coordinate]? {
        var result: [Coordinate] = []
        result.reserveCapacity(ids.count)
        for id in ids {
            guard let index = data.index(ofNode: id) else { return nil }
            result.append(Coordinate(longitude: data.longitudes[Int(index)], latitude: data.latitudes[Int(index)]))
        }
        return result
    }

    /// Joins a multipolygon's member ways into closed rings and puts each inner ring into its outer ring.
    static func multipolygon(_ relation: OSMRelation, ways: [Int64: OSMWay], data: OSMData, warnings: inout WarningList) -> MultiPolygon? {
        var outerParts: [[Int64]] = []
        var innerParts: [[Int64]] = []
        for member in relation.members where member.kind == .way {
            guard let way = ways[member.ref] else {
                warnings.add("multipolygon with missing members", "relation \(relation.id): member way \(member.ref) is not in the file; skipped")
                return nil
            }
            if member.role == "inner" { innerParts.append(way.nodeIDs) } else { outerParts.append(way.nodeIDs) }
        }
        guard !outerParts.isEmpty else {
            warnings.add("multipolygon without outer ring", "relation \(relation.id): no outer member; skipped")
            return nil
        }
        guard let outerIDs = joinRings(outerParts), let innerIDs = joinRings(innerParts) else {
            warnings.add("multipolygon with open rings", "relation \(relation.id): member ways do not close into rings; skipped")
            return nil
        }
        // Outer ways of zero or one node join into no ring at all.
        guard !outerIDs.isEmpty else {
            warnings.add("multipolygon without outer ring", "relation \(relation.id): its outer members hold no ring; skipped")
            return nil
        }
        do {
            var outers: [LinearRing] = []
            for ids in outerIDs {
                guard let coordinates = coordinates(of: ids, data: data) else { throw GeometryError("a member way has nodes missing from the file") }
                outers.append(try LinearRing(coordinates))
            }
            var holes = [[LinearRing]](repeating: [], count: outers.count)
            for ids in innerIDs {
                guard let coordinates = coordinates(of: ids, data: data) else { throw GeometryError("a member way has nodes missing from the file") }
                let ring = try LinearRing(coordinates)
                let probe = ring.coordinates[0]
                guard let owner = outers.indices.first(where: { Polygon(exterior: outers[$0]).contains(probe) }) else {
                    throw GeometryError("an inner ring lies outside every outer ring")
                }
                holes[owner].append(ring)
            }
            return MultiPolygon(outers.indices.map { Polygon(exterior: outers[$0], holes: holes[$0]) })
        } catch {
            warnings.add("invalid multipolygon", "relation \(relation.id): \(error); skipped")
            return nil
        }
    }

    /// Chains node-id sequences end to end into closed rings; nil when some chain cannot be closed.
    static func joinRings(_ parts: [[Int64]]) -> [[Int64]]? {
        var open = parts.filter { $0.count >= 2 }
        var rings: [[Int64]] = []
        while var ring = open.popLast() {
            while ring.first != ring.last {
                guard let tail = ring.last,
                      let next = open.firstIndex(where: { $0.first == tail || $0.last == tail })
                else { return nil }
                var part = open.remove(at: next)
                if part.first != tail { part.reverse() }
                ring.append(contentsOf: part.dropFirst())
            }
            rings.append(ring)
        }
        return rings
    }

    // MARK: Objects

    static func building(
        sourceID: String, tags: OSMTags, footprint: MultiPolygon, rules: ImportRules, areas: LandUseAreas,
        warnings: inout WarningList
    ) -> OSMExtract.Building {
        let type = tags["building"] ?? "yes"
        let (levels, estimated) = rules.levels(buildingType: type, tags: tags)
        if let tagged = rules.taggedLevels(tags), tagged > rules.maximumLevels {
            let maximum = GeoJSON.encode(.number(rules.maximumLevels))
            warnings.add("building:levels clamped", "building \(sourceID): building:levels=\(tags["building:levels"]?.prefix(40) ?? "") is above \(maximum); counted as \(maximum)")
        }
        let area = footprint.areaSquareMeters
        let point = footprint.representativePoint
        let name = tags["name"]
        // Only ambiguous types look at their surroundings: the building's own tags first, then the areas around it.
        var use: ImportRules.AreaUse?
        if rules.households.ambiguousTypes?.contains(type) ?? false {
            let own = rules.areaUse(of: tags)
            if case .nonResidential? = own { use = own } else { use = areas.use(at: point) }
        }
        let estimate = rules.estimate(buildingType: type, name: name, footprintSquareMeters: area, levels: levels, area: use)
        if estimate.basis == .implausibleFootprint {
            warnings.add("implausible footprint", "building \(sourceID): footprint \(area) m² is above \(rules.maximumFootprintSquareMeters) m²; 0 households")
        }
        return OSMExtract.Building(
            sourceID: sourceID, buildingType: type, name: name, levels: levels, levelsEstimated: estimated,
            households: estimate.households, householdsBasis: estimate.basis,
            areaSquareMeters: area, footprint: footprint, point: point)
    }

    static func facility(_ sourceID: String, _ category: String, _ tags: OSMTags, _ location: Coordinate) -> OSMExtract.Facility {
        OSMExtract.Facility(
            sourceID: sourceID, category: category, name: tags["name"],
            capacity: tags["capacity"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil },
            location: location)
    }
}

/// The areas the households rule looks at (campuses, hospitals, industrial estates, residential land): closed
/// ways and multipolygons, found by a grid over their bounding boxes, then exact point-in-polygon.
struct LandUseAreas {
    private var uses: [ImportRules.AreaUse] = []
    private var sizes: [Double] = []
    private let locator: PolygonLocator

    var count: Int { uses.count }

    init(_ data: OSMData, resolved: ResolvedWayNodes, ways: [Int64: OSMWay], rules: ImportRules) {
        var polygons: [MultiPolygon] = []
        // Broken areas are skipped quietly here: the building and facility passes already report broken ways.
        var ignored = WarningList()
        if rules.households.ambiguousTypes?.isEmpty == false {
            for (way, indices) in zip(data.ways, resolved) where !way.tags.isEmpty && way.nodeIDs.first == way.nodeIDs.last {
                guard let use = rules.areaUse(of: way.tags),
                      let polygon = OSMExtractor.closedWayPolygon(way, indices, data: data, what: "area", warnings: &ignored) else { continue }
                polygons.append(MultiPolygon([polygon]))
                uses.append(use)
            }
            for relation in data.relations where relation.tags["type"] == "multipolygon" {
                guard let use = rules.areaUse(of: relation.tags),
                      let area = OSMExtractor.multipolygon(relation, ways: ways, data: data, warnings: &ignored) else { continue }
                polygons.append(area)
                uses.append(use)
            }
        }
        sizes = polygons.map(\.areaSquareMeters)
        locator = PolygonLocator(polygons)
    }

    /// The use of the smallest area holding the point: staff housing drawn inside a campus is housing.
    func use(at point: Coordinate) -> ImportRules.AreaUse? {
        guard !uses.isEmpty else { return nil }
        let holding = locator.all(containing: point)
        guard let smallest = holding.min(by: { sizes[$0] < sizes[$1] || (sizes[$0] == sizes[$1] && $0 < $1) }) else { return nil }
        return uses[smallest]
    }
}

/// Every way's node positions (indexes into `OSMData`'s coordinates, -1 for a node not in the file) in one flat
/// array: millions of ways would otherwise cost a heap block each.
struct ResolvedWayNodes: RandomAccessCollection {
    private var positions: [Int32] = []
    /// Way `w`'s positions are `positions[starts[w]..<starts[w + 1]]`.
    private var starts: [Int] = [0]

    init(_ data: OSMData) {
        positions.reserveCapacity(data.ways.reduce(0) { $0 + $1.nodeIDs.count })
        starts.reserveCapacity(data.ways.count + 1)
        for way in data.ways {
            for id in way.nodeIDs { positions.append(data.index(ofNode: id) ?? -1) }
            starts.append(positions.count)
        }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { starts.count - 1 }

    /// A fresh zero-based array, as the passes index it from 0.
    subscript(way: Int) -> [Int32] { Array(positions[starts[way]..<starts[way + 1]]) }
}
