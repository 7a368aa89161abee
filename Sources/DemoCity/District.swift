import GridModel

/// A generated district: OSM-like nodes, ways and relations, plus the administrative layers
/// (communities, grids) and a household register that a real district would get from its sub-district office.
public struct District: Sendable {
    public struct Node: Sendable {
        public var id: Int64
        public var coordinate: Coordinate
        /// Tags for POIs and gates; empty for plain shape nodes.
        public var tags: [(String, String)]

        public init(id: Int64, coordinate: Coordinate, tags: [(String, String)] = []) {
            self.id = id
            self.coordinate = coordinate
            self.tags = tags
        }
    }

    public struct Way: Sendable {
        public var id: Int64
        public var nodeIDs: [Int64]
        public var tags: [(String, String)]

        public init(id: Int64, nodeIDs: [Int64], tags: [(String, String)] = []) {
            self.id = id
            self.nodeIDs = nodeIDs
            self.tags = tags
        }
    }

    public enum MemberType: String, Sendable, Hashable {
        case node, way, relation
    }

    public struct Relation: Sendable {
        public struct Member: Sendable {
            public var type: MemberType
            public var ref: Int64
            public var role: String

            public init(type: MemberType, ref: Int64, role: String) {
                self.type = type
                self.ref = ref
                self.role = role
            }
        }
        public var id: Int64
        public var members: [Member]
        public var tags: [(String, String)]

        public init(id: Int64, members: [Member], tags: [(String, String)] = []) {
            self.id = id
            self.members = members
            self.tags = tags
        }
    }

    public struct Community: Sendable {
        /// GB/T 2260 county-level code, 6 digits.
        public var adminCode: String
        /// Sub-district (街道), 3 digits.
        public var streetCode: String
        /// Community within its sub-district, 3 digits.
        public var communityCode: String
        /// adminCode + streetCode + communityCode, 12 digits.
        public var code: String
        public var name: String
        public var streetName: String
        /// Closed and counter-clockwise; holds every vertex of neighbouring grids on its edges.
        public var ring: [Coordinate]
        public var households: Int
    }

    public struct Grid: Sendable {
        /// Community code + 3-digit sequence, numbered west→east then north→south.
        public var code: String
        public var name: String
        /// The 12-digit code of the community holding this grid.
        public var communityCode: String
        /// Closed and counter-clockwise; neighbours share vertices exactly.
        public var ring: [Coordinate]
        public var households: Int
    }

    public struct RegisterRow: Sendable {
        public var buildingWayID: Int64
        public var unit: String
        public var floor: Int
        public var households: Int
    }

    /// What the generator knows about each building way, including what is not in the tags.
    public struct Building: Sendable {
        public var wayID: Int64
        /// Value of the `building` tag.
        public var building: String
        /// True storeys, also for buildings whose `building:levels` tag was left out.
        public var levels: Int
        public var levelsTagged: Bool
        /// Stairwell units (单元); 0 for non-residential buildings.
        public var units: Int
        /// Dwellings; 0 for non-residential buildings.
        public var households: Int
        public var centroid: Coordinate
        /// 12-digit community code and 15-digit grid code holding the centroid.
        public var communityCode: String
        public var gridCode: String
        public var isResidential: Bool { households > 0 }
    }

    public enum FacilityCategory: String, Sendable, Hashable, CaseIterable {
        case clinic, pharmacy, school, kindergarten
        case nursingHome = "nursing_home"
        case supermarket, convenience, greengrocer, marketplace
        case communityCentre = "community_centre"
        case busStop = "bus_stop"
        case subwayEntrance = "subway_entrance"
    }

    public struct Facility: Sendable {
        public var category: FacilityCategory
        public var osmType: MemberType
        public var osmID: Int64
        public var name: String
        public var coordinate: Coordinate
    }

    /// The walkable part of the network, for routers that do not read XML (large benchmark cities).
    public struct WalkingNetwork: Sendable {
        /// Ascending; every node used by at least one walkable way.
        public var nodeIDs: [Int64]
        /// Parallel to `nodeIDs`.
        public var coordinates: [Coordinate]
        /// Way ids ascending, and each way's node ids in order.
        public var wayIDs: [Int64]
        public var ways: [[Int64]]

        public func index(ofNode id: Int64) -> Int? {
            var lo = 0, hi = nodeIDs.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if nodeIDs[mid] < id { lo = mid + 1 } else { hi = mid }
            }
            return lo < nodeIDs.count && nodeIDs[lo] == id ? lo : nil
        }
    }

    public var parameters: DistrictParameters
    /// Ids ascending and contiguous from 3,000,000,001.
    public var nodes: [Node]
    /// Ids ascending from 1.
    public var ways: [Way]
    public var relations: [Relation]
    public var communities: [Community]
    public var grids: [Grid]
    public var register: [RegisterRow]
    public var buildings: [Building]
    public var facilities: [Facility]
    /// South-west and north-east corners of the street grid (outer street centre lines).
    public var southWest: Coordinate
    public var northEast: Coordinate

    public static func generate(_ parameters: DistrictParameters) -> District {
        DistrictBuilder(parameters).build()
    }

    /// O(1): node ids are contiguous.
    public func node(id: Int64) -> Node? {
        let index = id - Layout.nodeIDBase - 1
        guard index >= 0, index < Int64(nodes.count) else { return nil }
        return nodes[Int(index)]
    }

    /// Foot routing rules this district is built to exercise: motorways, `foot=no` and private access are out.
    public static func isWalkable(tags: [(String, String)]) -> Bool {
        var highway: String?
        var foot: String?
        var access: String?
        for (k, v) in tags {
            switch k {
            case "highway": highway = v
            case "foot": foot = v
            case "access": access = v
            default: break
            }
        }
        guard let highway else { return false }
        if let foot {
            if foot == "no" { return false }
            if foot == "yes" || foot == "designated" || foot == "permissive" { return true }
        }
        if access == "private" || access == "no" { return false }
        switch highway {
        case "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
             "residential", "unclassified", "living_street", "service", "pedestrian", "footway",
             "path", "steps", "track":
            return true
        default:
            return false
        }
    }

    public var walkableWayCount: Int {
        ways.reduce(0) { $0 + (District.isWalkable(tags: $1.tags) ? 1 : 0) }
    }

    /// Distinct nodes used by walkable ways.
    public var walkableNodeCount: Int {
        var used = [Bool](repeating: false, count: nodes.count)
        var count = 0
        for way in ways where District.isWalkable(tags: way.tags) {
            for id in way.nodeIDs {
                let i = Int(id - Layout.nodeIDBase - 1)
                if !used[i] { used[i] = true; count += 1 }
            }
        }
        return count
    }

    public func walkingNetwork() -> WalkingNetwork {
        var used = [Bool](repeating: false, count: nodes.count)
        var wayIDs: [Int64] = []
        var wayNodes: [[Int64]] = []
        for way in ways where District.isWalkable(tags: way.tags) {
            wayIDs.append(way.id)
            wayNodes.append(way.nodeIDs)
            for id in way.nodeIDs { used[Int(id - Layout.nodeIDBase - 1)] = true }
        }
        var ids: [Int64] = []
        var coordinates: [Coordinate] = []
        for (i, flag) in used.enumerated() where flag {
            ids.append(nodes[i].id)
            coordinates.append(nodes[i].coordinate)
        }
        return WalkingNetwork(nodeIDs: ids, coordinates: coordinates, wayIDs: wayIDs, ways: wayNodes)
    }
}
