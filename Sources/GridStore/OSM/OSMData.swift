/// Tags of one OSM object, in file order. Objects have few tags, so a linear scan beats hashing.
public struct OSMTags: Sendable, Hashable {
    public var pairs: [(key: String, value: String)]

    public init(_ pairs: [(key: String, value: String)] = []) { self.pairs = pairs }

    public subscript(key: String) -> String? {
        for pair in pairs where pair.key == key { return pair.value }
        return nil
    }

    public var isEmpty: Bool { pairs.isEmpty }

    public static func == (a: OSMTags, b: OSMTags) -> Bool {
        a.pairs.count == b.pairs.count && zip(a.pairs, b.pairs).allSatisfy { $0 == $1 }
    }

    public func hash(into hasher: inout Hasher) {
        for pair in pairs { hasher.combine(pair.key); hasher.combine(pair.value) }
    }
}

public struct OSMWay: Sendable {
    public var id: Int64
    public var nodeIDs: [Int64]
    public var tags: OSMTags
    public init(id: Int64, nodeIDs: [Int64], tags: OSMTags) { self.id = id; self.nodeIDs = nodeIDs; self.tags = tags }
}

public struct OSMMember: Sendable {
    public enum Kind: Sendable { case node, way, relation }
    public var kind: Kind
    public var ref: Int64
    public var role: String
    public init(kind: Kind, ref: Int64, role: String) { self.kind = kind; self.ref = ref; self.role = role }
}

public struct OSMRelation: Sendable {
    public var id: Int64
    public var members: [OSMMember]
    public var tags: OSMTags
    public init(id: Int64, members: [OSMMember], tags: OSMTags) { self.id = id; self.members = members; self.tags = tags }
}

/// The objects of one OSM file that an import needs: every node position, tagged nodes, ways, relations.
public struct OSMData: Sendable {
    /// OSM node id → index into `longitudes` / `latitudes`.
    public private(set) var nodeIndex: [Int64: Int32] = [:]
    public private(set) var longitudes: [Double] = []
    public private(set) var latitudes: [Double] = []
    public private(set) var taggedNodes: [(id: Int64, tags: OSMTags)] = []
    public var ways: [OSMWay] = []
    public var relations: [OSMRelation] = []
    /// Objects whose id was seen twice; the first copy is kept.
    public private(set) var duplicateNodeCount = 0
    /// Nodes past the 2^31 that `Int32` indexes can address; readers refuse a file with any.
    public private(set) var nodesBeyondLimit = 0

    public init() {}

    public var nodeCount: Int { longitudes.count }

    public mutating func reserveNodes(_ count: Int) {
        nodeIndex.reserveCapacity(count)
        longitudes.reserveCapacity(count)
        latitudes.reserveCapacity(count)
    }

    public mutating func addNode(id: Int64, longitude: Double, latitude: Double, tags: OSMTags) {
        // One hash lookup per node: this runs for every node of the file.
        guard let index = Int32(exactly: longitudes.count) else { nodesBeyondLimit += 1; return }
        var isNew = false
        Self.claim(&nodeIndex[id, default: -1], index, &isNew)
        guard isNew else { duplicateNodeCount += 1; return }
        longitudes.append(longitude)
        latitudes.append(latitude)
        if !tags.isEmpty { taggedNodes.append((id, tags)) }
    }

    private static func claim(_ slot: inout Int32, _ index: Int32, _ isNew: inout Bool) {
        if slot == -1 { slot = index; isNew = true }
    }
}
