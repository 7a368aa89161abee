import Foundation
import GridModel

typealias Tags = [(String, String)]

// Shared tag lists: the same array storage is reused by every way that carries them.
let noTags: Tags = []
let footwayTags: Tags = [("highway", "footway")]
let pathTags: Tags = [("highway", "path")]
let compoundRoadTags: Tags = [("highway", "service")]
let gateTags: Tags = [("barrier", "gate")]
let retailTags: Tags = [("building", "retail"), ("building:levels", "2")]

enum BlockKind { case residential, school, park, commercial }

/// A facility that a block must hold; kindergartens may come as their own building.
struct Placement {
    var category: District.FacilityCategory
    var asBuilding: Bool
}

/// Storeys and dwellings of one residential building, kept to write its register rows.
struct HouseholdSpec {
    var units = 0
    var perFloor = 0
    var groundFloor = 0
    var levels = 0
}

/// Facilities spread at random blocks; each category leaves a deficit zone so coverage is always partial.
struct PlannedCategory {
    var category: District.FacilityCategory
    /// Instances per 64 blocks.
    var perDemo: Double
    /// Typical service radius; the deficit zone is larger by `deficitMargin`.
    var radius: Double
}

let plannedCategories: [PlannedCategory] = [
    PlannedCategory(category: .kindergarten, perDemo: 6, radius: 300),
    PlannedCategory(category: .school, perDemo: 2, radius: 500),
    PlannedCategory(category: .clinic, perDemo: 3, radius: 1000),
    PlannedCategory(category: .pharmacy, perDemo: 5, radius: 500),
    PlannedCategory(category: .nursingHome, perDemo: 2, radius: 1000),
    PlannedCategory(category: .supermarket, perDemo: 3, radius: 500),
    PlannedCategory(category: .convenience, perDemo: 10, radius: 300),
    PlannedCategory(category: .greengrocer, perDemo: 4, radius: 500),
    PlannedCategory(category: .marketplace, perDemo: 2, radius: 500),
]
/// Block half-diagonal plus a little, so a building near the zone centre is beyond the radius of every instance.
let deficitMargin = 350.0

/// Street line (one per grid line), with its tags shared by all its ways.
struct StreetLine {
    var tags: Tags
    var hanzi: String
    var arterial: Bool
}

final class DistrictBuilder {
    let p: DistrictParameters
    let east: Int
    let north: Int
    let communitiesEast: Int
    let communitiesNorth: Int
    let lon0: Double, lat0: Double, kx: Double, ky: Double
    let shapesPerSegment = Layout.segmentsPerBlock - 1

    var nodes: [District.Node] = []
    var ways: [District.Way] = []
    var relations: [District.Relation] = []
    var buildings: [District.Building] = []
    /// Parallel to `buildings`: cell (half block west or east of the compound road) holding the centroid.
    var buildingCells: [Int] = []
    var householdSpecs: [HouseholdSpec] = []
    var facilities: [District.Facility] = []

    var blockKinds: [BlockKind] = []
    var placements: [[Placement]] = []
    var deficitCentres: [[(x: Double, y: Double)]] = []
    var linesX: [StreetLine] = []   // north–south streets at x = i·block
    var linesY: [StreetLine] = []   // east–west streets at y = j·block
    var junctions: [Int64] = []
    var ewShapes: [Int64] = []
    var nsShapes: [Int64] = []
    var cellHouseholds: [Int] = []
    var buildingTagCache: [Int: Tags] = [:]
    let levelStrings: [String] = (0...60).map { String($0) }
    var firstCommercialDone = false

    init(_ parameters: DistrictParameters) {
        p = parameters
        east = max(1, parameters.blocksEast)
        north = max(1, parameters.blocksNorth)
        communitiesEast = min(max(1, parameters.communitiesEast), east)
        communitiesNorth = min(max(1, parameters.communitiesNorth), north)
        lon0 = snap(parameters.origin.longitude)
        lat0 = snap(parameters.origin.latitude)
        ky = 180 / (Double.pi * Geodesy.earthRadius)
        kx = ky / cos(lat0 * .pi / 180)
        cellHouseholds = [Int](repeating: 0, count: 2 * east * north)
    }

    func build() -> District {
        let blockCount = east * north
        nodes.reserveCapacity(blockCount * 110 + 64)
        ways.reserveCapacity(blockCount * 45 + 64)
        planBlocks()
        buildStreets()
        for j in 0..<north {
            for i in 0..<east { buildBlock(i, j) }
        }
        buildMotorway()
        buildBusStops()
        buildSubway()
        let (communities, grids) = buildAdministration()
        let register = buildRegister()
        return District(
            parameters: p, nodes: nodes, ways: ways, relations: relations,
            communities: communities, grids: grids, register: register,
            buildings: buildings, facilities: facilities,
            southWest: coord(0, 0),
            northEast: coord(Double(east) * Layout.block, Double(north) * Layout.block))
    }

    // MARK: Primitives

    /// Local metres (x east, y north of the origin) to WGS84, snapped to 1e-7° so that exported text
    /// and in-memory values agree and shared vertices are bit-identical.
    func coord(_ x: Double, _ y: Double) -> Coordinate {
        Coordinate(longitude: snap(lon0 + x * kx), latitude: snap(lat0 + y * ky))
    }

    @discardableResult
    func addNode(_ x: Double, _ y: Double, _ tags: Tags = noTags) -> Int64 {
        let id = Layout.nodeIDBase + Int64(nodes.count) + 1
        nodes.append(District.Node(id: id, coordinate: coord(x, y), tags: tags))
        return id
    }

    @discardableResult
    func addWay(_ nodeIDs: [Int64], _ tags: Tags) -> Int64 {
        let id = Int64(ways.count) + 1
        ways.append(District.Way(id: id, nodeIDs: nodeIDs, tags: tags))
        return id
    }

    /// Axis-aligned closed ring, counter-clockwise unless `clockwise` (inner rings).
    @discardableResult
    func addBox(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ tags: Tags, clockwise: Bool = false) -> Int64 {
        let a = addNode(x0, y0), b = addNode(x1, y0), c = addNode(x1, y1), d = addNode(x0, y1)
        return addWay(clockwise ? [a, d, c, b, a] : [a, b, c, d, a], tags)
    }

    /// Rectangle of `length` along the rotated x axis and `depth` across it, centred at (cx, cy).
    @discardableResult
    func addRotatedBox(_ cx: Double, _ cy: Double, length: Double, depth: Double, angle: Double, _ tags: Tags) -> Int64 {
        let ux = cos(angle) * length / 2, uy = sin(angle) * length / 2
        let vx = -sin(angle) * depth / 2, vy = cos(angle) * depth / 2
        let a = addNode(cx - ux - vx, cy - uy - vy)
        let b = addNode(cx + ux - vx, cy + uy - vy)
        let c = addNode(cx + ux + vx, cy + uy + vy)
        let d = addNode(cx - ux + vx, cy - uy + vy)
        return addWay([a, b, c, d, a], tags)
    }

    func addFacility(_ category: District.FacilityCategory, _ type: District.MemberType, _ id: Int64,
                     _ name: String, _ x: Double, _ y: Double) {
        facilities.append(District.Facility(
            category: category, osmType: type, osmID: id, name: name, coordinate: coord(x, y)))
    }

    func addBuildingRecord(wayID: Int64, building: String, levels: Int, tagged: Bool, spec: HouseholdSpec,
                           households: Int, x: Double, y: Double) {
        let hx = min(2 * east - 1, max(0, Int(x / (Layout.block / 2))))
        let jy = min(north - 1, max(0, Int(y / Layout.block)))
        let cell = jy * 2 * east + hx
        buildings.append(District.Building(
            wayID: wayID, building: building, levels: levels, levelsTagged: tagged, units: spec.units,
            households: households, centroid: coord(x, y), communityCode: "", gridCode: ""))
        buildingCells.append(cell)
        householdSpecs.append(spec)
        cellHouseholds[cell] += households
    }

    // MARK: Street nodes around block (i, j); s counts shape nodes from the west or south end (1...3).

    func southNode(_ i: Int, _ j: Int, _ s: Int) -> Int64 { ewShapes[(j * east + i) * shapesPerSegment + s - 1] }
    func northNode(_ i: Int, _ j: Int, _ s: Int) -> Int64 { ewShapes[((j + 1) * east + i) * shapesPerSegment + s - 1] }
    func westNode(_ i: Int, _ j: Int, _ s: Int) -> Int64 { nsShapes[(i * north + j) * shapesPerSegment + s - 1] }
    func eastNode(_ i: Int, _ j: Int, _ s: Int) -> Int64 { nsShapes[((i + 1) * north + j) * shapesPerSegment + s - 1] }
    func junction(_ i: Int, _ j: Int) -> Int64 { junctions[j * (east + 1) + i] }

    // MARK: Planning

    func planBlocks() {
        var rng = SplitMix64(seed: p.seed, stream: 1)
        let blockCount = east * north
        func arterials(_ lines: Int) -> [Bool] {
            var flags = [Bool](repeating: false, count: lines + 1)
            var position = rng.int(0...2)
            while position <= lines {
                flags[position] = true
                position += rng.int(3...4)
            }
            return flags
        }
        let arterialX = arterials(east)
        let arterialY = arterials(north)
        var rootOrder = Array(0..<nameRoots.count)
        rng.shuffle(&rootOrder)
        var rootCursor = 0
        func nextRoot() -> (pinyin: String, hanzi: String) {
            defer { rootCursor += 1 }
            return nameRoots[rootOrder[rootCursor % rootOrder.count]]
        }
        func line(arterial: Bool, northSouth: Bool, first: Bool) -> StreetLine {
            let root = nextRoot()
            if arterial {
                let dir = directions[rng.index(directions.count)]
                let cls = first || rng.chance(0.4) ? "primary" : "secondary"
                let en = root.pinyin + " " + dir.pinyin + (northSouth ? " Road" : " Avenue")
                let zh = root.hanzi + dir.hanzi + (northSouth ? "路" : "大街")
                return StreetLine(
                    tags: [("highway", cls), ("name", en), ("name:zh", zh), ("lanes", cls == "primary" ? "6" : "4"),
                           ("maxspeed", cls == "primary" ? "60" : "50"), ("sidewalk", "both")],
                    hanzi: zh, arterial: true)
            }
            let cls = rng.chance(0.3) ? "tertiary" : "residential"
            let en = root.pinyin + (northSouth ? " Road" : " Street")
            let zh = root.hanzi + (northSouth ? "路" : "街")
            return StreetLine(tags: [("highway", cls), ("name", en), ("name:zh", zh)], hanzi: zh, arterial: false)
        }
        var firstArterial = true
        for i in 0...east {
            linesX.append(line(arterial: arterialX[i], northSouth: true, first: arterialX[i] && firstArterial))
            if arterialX[i] { firstArterial = false }
        }
        firstArterial = true
        for j in 0...north {
            linesY.append(line(arterial: arterialY[j], northSouth: false, first: arterialY[j] && firstArterial))
            if arterialY[j] { firstArterial = false }
        }

        // Deficit zones: the first at a corner of the district, more in large cities.
        let width = Double(east) * Layout.block, height = Double(north) * Layout.block
        let zones = max(1, Int((Double(blockCount) / 256).rounded()))
        for _ in plannedCategories {
            var centres: [(x: Double, y: Double)] = []
            let corner = rng.index(4)
            centres.append((corner % 2 == 0 ? 0 : width, corner < 2 ? 0 : height))
            for _ in 1..<zones { centres.append((rng.double(0...width), rng.double(0...height))) }
            deficitCentres.append(centres)
        }

        blockKinds = [BlockKind](repeating: .residential, count: blockCount)
        placements = [[Placement]](repeating: [], count: blockCount)
        let schoolIndex = plannedCategories.firstIndex { $0.category == .school } ?? 0
        let schools = blockCount >= 12 ? max(2, Int((0.05 * Double(blockCount)).rounded())) : (blockCount >= 4 ? 1 : 0)
        let parks = blockCount >= 6 ? max(1, Int((0.03 * Double(blockCount)).rounded())) : 0
        let commercial = blockCount >= 3 ? max(1, Int((0.045 * Double(blockCount)).rounded())) : 0
        for _ in 0..<schools {
            if let b = pickBlock(&rng, category: schoolIndex, allowed: { $0 == .residential }) { blockKinds[b] = .school }
        }
        for _ in 0..<parks {
            if let b = pickBlock(&rng, category: nil, allowed: { $0 == .residential }) { blockKinds[b] = .park }
        }
        for _ in 0..<commercial {
            if let b = pickBlock(&rng, category: nil, allowed: { $0 == .residential }) { blockKinds[b] = .commercial }
        }
        let scale = Double(blockCount) / 64
        for (index, planned) in plannedCategories.enumerated() {
            let count = max(2, Int((planned.perDemo * scale).rounded()))
            for _ in 0..<count {
                let onlyResidential = planned.category == .kindergarten
                guard let b = pickBlock(&rng, category: index, allowed: {
                    onlyResidential ? $0 == .residential : ($0 == .residential || $0 == .commercial)
                }) else { continue }
                let asBuilding = planned.category == .kindergarten && rng.chance(0.35)
                    && !placements[b].contains { $0.asBuilding }
                placements[b].append(Placement(category: planned.category, asBuilding: asBuilding))
            }
        }
    }

    func inDeficit(_ category: Int, _ block: Int) -> Bool {
        let cx = (Double(block % east) + 0.5) * Layout.block
        let cy = (Double(block / east) + 0.5) * Layout.block
        let limit = plannedCategories[category].radius + deficitMargin
        for c in deficitCentres[category] {
            let dx = cx - c.x, dy = cy - c.y
            if dx * dx + dy * dy < limit * limit { return true }
        }
        return false
    }

    /// A random block of an allowed kind, outside the category's deficit zones when possible.
    func pickBlock(_ rng: inout SplitMix64, category: Int?, allowed: (BlockKind) -> Bool) -> Int? {
        let count = east * north
        for _ in 0..<64 {
            let b = rng.index(count)
            if allowed(blockKinds[b]), category.map({ !inDeficit($0, b) }) ?? true { return b }
        }
        for _ in 0..<64 {
            let b = rng.index(count)
            if allowed(blockKinds[b]) { return b }
        }
        return (0..<count).first { allowed(blockKinds[$0]) }
    }

    // MARK: Streets

    func buildStreets() {
        let b = Layout.block
        let step = b / Double(Layout.segmentsPerBlock)
        for j in 0...north {
            for i in 0...east { junctions.append(addNode(Double(i) * b, Double(j) * b)) }
        }
        for j in 0...north {
            for i in 0..<east {
                for s in 1...shapesPerSegment { ewShapes.append(addNode(Double(i) * b + Double(s) * step, Double(j) * b)) }
            }
        }
        for i in 0...east {
            for j in 0..<north {
                for s in 1...shapesPerSegment { nsShapes.append(addNode(Double(i) * b, Double(j) * b + Double(s) * step)) }
            }
        }
        // Ways split where they cross an arterial, as mapped streets usually are.
        for j in 0...north {
            var sequence = [junction(0, j)]
            for i in 0..<east {
                for s in 1...shapesPerSegment { sequence.append(ewShapes[(j * east + i) * shapesPerSegment + s - 1]) }
                sequence.append(junction(i + 1, j))
                if i + 1 < east, linesX[i + 1].arterial {
                    addWay(sequence, linesY[j].tags)
                    sequence = [junction(i + 1, j)]
                }
            }
            addWay(sequence, linesY[j].tags)
        }
        for i in 0...east {
            var sequence = [junction(i, 0)]
            for j in 0..<north {
                for s in 1...shapesPerSegment { sequence.append(nsShapes[(i * north + j) * shapesPerSegment + s - 1]) }
                sequence.append(junction(i, j + 1))
                if j + 1 < north, linesY[j + 1].arterial {
                    addWay(sequence, linesX[i].tags)
                    sequence = [junction(i, j + 1)]
                }
            }
            addWay(sequence, linesX[i].tags)
        }
    }

    /// An elevated expressway above one east–west arterial: crosses streets without sharing a node.
    func buildMotorway() {
        let b = Layout.block
        let candidates = (0...north).filter { linesY[$0].arterial }
        let middle = north / 2
        let j = candidates.min { abs($0 - middle) < abs($1 - middle) } ?? north
        let y = Double(j) * b + (j == north ? -9 : 9)
        let width = Double(east) * b
        let count = max(2, Int(width / 100) + 1)
        var ids: [Int64] = []
        for k in 0..<count { ids.append(addNode(width * Double(k) / Double(count - 1), y)) }
        addWay(ids, [("highway", "motorway"), ("name", "North Fourth Ring Expressway"), ("name:zh", "北四环快速路"),
                     ("oneway", "yes"), ("bridge", "yes"), ("layer", "1"), ("lanes", "4"), ("maxspeed", "80")])
    }

    /// Stops on the sidewalk every other block along arterials, named after the nearer cross street.
    func buildBusStops() {
        let b = Layout.block
        for j in 0...north where linesY[j].arterial {
            for i in 0..<east where (i + j) % 2 == 0 {
                let side: Double = (j == 0 || (j != north && i % 4 == 0)) ? 8 : -8
                let x = (Double(i) + 0.5) * b, y = Double(j) * b + side
                addStop(x, y, linesX[i].hanzi + "口")
            }
        }
        for i in 0...east where linesX[i].arterial {
            for j in 0..<north where (i + j) % 2 == 1 {
                let side: Double = (i == 0 || (i != east && j % 4 == 1)) ? 8 : -8
                let x = Double(i) * b + side, y = (Double(j) + 0.5) * b
                addStop(x, y, linesY[j].hanzi + "口")
            }
        }
    }

    private func addStop(_ x: Double, _ y: Double, _ name: String) {
        let id = addNode(x, y, [("highway", "bus_stop"), ("public_transport", "platform"), ("bus", "yes"), ("name", name)])
        addFacility(.busStop, .node, id, name, x, y)
    }

    /// Metro stations at arterial crossings, entrances on the street corners.
    func buildSubway() {
        var rng = SplitMix64(seed: p.seed, stream: 3)
        let b = Layout.block
        var crossings: [(Int, Int)] = []
        for j in 0...north where linesY[j].arterial {
            for i in 0...east where linesX[i].arterial { crossings.append((i, j)) }
        }
        let interior = crossings.filter { $0.0 > 0 && $0.0 < east && $0.1 > 0 && $0.1 < north }
        var pool = interior.isEmpty ? crossings : interior
        if pool.isEmpty { pool = [(east / 2, north / 2)] }
        let stations = min(pool.count, max(1, Int((Double(east * north) / 150).rounded())))
        rng.shuffle(&pool)
        let corners: [(Double, Double, String)] = [(18, 18, "A"), (-18, -18, "B"), (-18, 18, "C"), (18, -18, "D")]
        for (k, crossing) in pool.prefix(stations).enumerated() {
            let name = String(linesY[crossing.1].hanzi.prefix(2)) + "站"
            let entrances = k == 0 ? 2 : rng.int(2...4)
            var made = 0
            for corner in corners where made < entrances {
                let x = Double(crossing.0) * b + corner.0, y = Double(crossing.1) * b + corner.1
                guard x > 0, y > 0, x < Double(east) * b, y < Double(north) * b else { continue }
                let id = addNode(x, y, [("railway", "subway_entrance"), ("name", name), ("ref", corner.2)])
                addFacility(.subwayEntrance, .node, id, name + " " + corner.2 + "口", x, y)
                made += 1
            }
        }
    }
}

func snap(_ value: Double) -> Double { (value * 1e7).rounded() / 1e7 }
