import Foundation
import GridModel

/// A city of generated districts tiled west→east then south→north, each joined to its west and south neighbours by
/// footways across a gap, so that the walking network is one connected piece. Districts are produced one at a time
/// (`forEachDistrict`), so a city of a million buildings never has to be held whole.
public struct City: Sendable {
    /// Blocks per district side: the demo district's size.
    public static let districtBlocks = 8
    /// Open ground between neighbouring districts' outer street centre lines, crossed by the joining footways.
    public static let gap = 60.0

    public var seed: UInt64
    public var origin: Coordinate
    public var districtCount: Int
    /// Districts per row; the last row may be short.
    public var columns: Int

    /// A city of about `buildings` buildings: as many demo-sized districts as the first district's building count
    /// asks for, laid out near-square.
    public init(buildings: Int, seed: UInt64, origin: Coordinate = DistrictParameters.demo.origin) {
        self.seed = seed
        self.origin = origin
        let sample = District.generate(City.parameters(seed: seed, index: 0, origin: origin, column: 0, row: 0))
        let perDistrict = max(1, sample.buildings.count)
        districtCount = max(1, Int((Double(max(buildings, 1)) / Double(perDistrict)).rounded()))
        columns = max(1, Int(Double(districtCount).squareRoot().rounded(.up)))
    }

    /// One district of the city with city-wide identifiers: node, way and relation ids continue those of the
    /// districts before it, community codes are renumbered city-wide, and `joiningWays` (already in `ways`, after
    /// the district's own) connect it to its neighbours.
    public struct Part: Sendable {
        public var index: Int
        public var nodes: [District.Node]
        public var ways: [District.Way]
        public var relations: [District.Relation]
        public var communities: [District.Community]
        public var grids: [District.Grid]
        public var register: [District.RegisterRow]
        public var buildingCount: Int
        public var joiningWays: Int
    }

    /// Calls `body` with each district in order. Memory holds one district plus the corner nodes of one row.
    public func forEachDistrict(_ body: (Part) throws -> Void) rethrows {
        var nextNode: Int64 = 0, nextWay: Int64 = 0, nextRelation: Int64 = 0
        var nextStreet = 0
        // Corner node ids (south-west, south-east, north-west, north-east) of the districts of the previous row
        // and of the current one so far.
        var previousRow: [[Int64]] = [], currentRow: [[Int64]] = []
        for index in 0..<districtCount {
            let column = index % columns, row = index / columns
            if column == 0 { previousRow = currentRow; currentRow = [] }
            let district = District.generate(City.parameters(seed: seed, index: index, origin: origin, column: column, row: row))
            var part = City.renumber(district, index: index, nodeOffset: nextNode, wayOffset: nextWay,
                                     relationOffset: nextRelation, nextStreet: &nextStreet)
            let corners = City.corners(of: district).map { $0 + nextNode }
            var joins: [[Int64]] = []
            if column > 0 {
                let west = currentRow[column - 1]
                joins.append([west[1], corners[0]])
                joins.append([west[3], corners[2]])
            }
            if row > 0, column < previousRow.count {
                let south = previousRow[column]
                joins.append([south[2], corners[0]])
                joins.append([south[3], corners[1]])
            }
            var wayID = nextWay + Int64(district.ways.count)
            for nodeIDs in joins {
                wayID += 1
                part.ways.append(District.Way(id: wayID, nodeIDs: nodeIDs, tags: footwayTags))
            }
            part.joiningWays = joins.count
            currentRow.append(corners)
            nextNode += Int64(district.nodes.count)
            nextWay = wayID
            nextRelation += Int64(district.relations.count)
            try body(part)
        }
    }

    static func parameters(seed: UInt64, index: Int, origin: Coordinate, column: Int, row: Int) -> DistrictParameters {
        var mixer = SplitMix64(seed: seed, stream: 9, index: UInt64(index))
        let step = Double(districtBlocks) * Layout.block + gap
        let ky = 180 / (Double.pi * Geodesy.earthRadius)
        let latitude = origin.latitude + Double(row) * step * ky
        // East steps use the row's own scale, as each district converts its metres at its own latitude.
        let kx = ky / cos(snap(latitude) * .pi / 180)
        return DistrictParameters(
            seed: index == 0 ? seed : mixer.next(),
            origin: Coordinate(longitude: origin.longitude + Double(column) * step * kx, latitude: latitude),
            blocksEast: districtBlocks, blocksNorth: districtBlocks, communitiesEast: 3, communitiesNorth: 3)
    }

    /// Local ids of the street grid's corner junctions: south-west, south-east, north-west, north-east.
    static func corners(of district: District) -> [Int64] {
        let sw = district.southWest, ne = district.northEast
        let targets = [sw, Coordinate(longitude: ne.longitude, latitude: sw.latitude),
                       Coordinate(longitude: sw.longitude, latitude: ne.latitude), ne]
        return targets.map { target in
            // Junctions are the first nodes made at their place.
            district.nodes.first { $0.coordinate == target }.map(\.id) ?? district.nodes[0].id
        }
    }

    /// Shifts ids into the city's ranges and gives each sub-district a city-wide street code: codes run
    /// 001…999 within a county code, the next county taking over after 999 sub-districts.
    static func renumber(_ district: District, index: Int, nodeOffset: Int64, wayOffset: Int64, relationOffset: Int64,
                         nextStreet: inout Int) -> Part {
        var streetCodes: [String: (admin: String, street: String)] = [:]
        for community in district.communities where streetCodes[community.streetCode] == nil {
            let county = 110105 + nextStreet / 999
            streetCodes[community.streetCode] = (String(county), pad3(nextStreet % 999 + 1))
            nextStreet += 1
        }
        var communityCodes: [String: String] = [:]
        let communities = district.communities.map { community -> District.Community in
            var renamed = community
            let codes = streetCodes[community.streetCode]!
            renamed.adminCode = codes.admin
            renamed.streetCode = codes.street
            renamed.code = codes.admin + codes.street + community.communityCode
            communityCodes[community.code] = renamed.code
            return renamed
        }
        let grids = district.grids.map { grid -> District.Grid in
            var renamed = grid
            let community = communityCodes[grid.communityCode] ?? grid.communityCode
            renamed.communityCode = community
            renamed.code = community + String(grid.code.suffix(3))
            return renamed
        }
        let nodes = district.nodes.map { District.Node(id: $0.id + nodeOffset, coordinate: $0.coordinate, tags: $0.tags) }
        let ways = district.ways.map { way in
            District.Way(id: way.id + wayOffset, nodeIDs: way.nodeIDs.map { $0 + nodeOffset }, tags: way.tags)
        }
        let relations = district.relations.map { relation in
            District.Relation(id: relation.id + relationOffset, members: relation.members.map { member in
                let offset = member.type == .node ? nodeOffset : member.type == .way ? wayOffset : relationOffset
                return District.Relation.Member(type: member.type, ref: member.ref + offset, role: member.role)
            }, tags: relation.tags)
        }
        let register = district.register.map { row in
            District.RegisterRow(buildingWayID: row.buildingWayID + wayOffset, unit: row.unit, floor: row.floor, households: row.households)
        }
        return Part(index: index, nodes: nodes, ways: ways, relations: relations, communities: communities, grids: grids,
                    register: register, buildingCount: district.buildings.count, joiningWays: 0)
    }
}
