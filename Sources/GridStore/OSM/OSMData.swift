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
    /// Node ids in file order; node `i` is at `longitudes[i]`, `latitudes[i]`. Files list nodes by ascending id,
    /// so this array is its own index (8 bytes a node instead of a hash table's ~26).
    public private(set) var nodeIDs: [Int64] = []
    public private(set) var longitudes: [Double] = []
    public private(set) var latitudes: [Double] = []
    public private(set) var taggedNodes: [(id: Int64, tags: OSMTags)] = []
    public var ways: [OSMWay] = []
    public var relations: [OSMRelation] = []
    /// Objects whose id was seen twice; the first copy is kept.
    public private(set) var duplicateNodeCount = 0
    /// Nodes past the 2^31 that `Int32` indexes can address; readers refuse a file with any.
    public private(set) var nodesBeyondLimit = 0
    /// OSM node id → index, built only once a file's node ids stop ascending.
    private var unsortedIndex: [Int64: Int32]?

    public init() {}

    public var nodeCount: Int { nodeIDs.count }

    public mutating func reserveNodes(_ count: Int) {
        nodeIDs.reserveCapacity(count)
        longitudes.reserveCapacity(count)
        latitudes.reserveCapacity(count)
    }

    /// Where node `id` sits in `longitudes` / `latitudes`; nil when the file has no such node.
    public func index(ofNode id: Int64) -> Int32? {
        if let unsortedIndex { return unsortedIndex[id] }
        return nodeIDs.withUnsafeBufferPointer { ids in
            guard let first = ids.first, let last = ids.last, id >= first, id <= last else { return nil }
            // Ids are often dense: guess the position by interpolation, then bisect.
            if last > first {
                let fraction = (Double(id) - Double(first)) / (Double(last) - Double(first))
                let guess = min(ids.count - 1, max(0, Int(fraction * Double(ids.count - 1))))
                if ids[guess] == id { return Int32(truncatingIfNeeded: guess) }
            }
            var low = 0, high = ids.count
            while low < high {
                let middle = (low + high) / 2
                if ids[middle] < id { low = middle + 1 } else { high = middle }
            }
            return low < ids.count && ids[low] == id ? Int32(truncatingIfNeeded: low) : nil
        }
    }

    public mutating func addNode(id: Int64, longitude: Double, latitude: Double, tags: OSMTags) {
        guard let position = Int32(exactly: nodeIDs.count) else { nodesBeyondLimit += 1; return }
        if unsortedIndex == nil, let last = nodeIDs.last, id <= last {
            guard index(ofNode: id) == nil else { duplicateNodeCount += 1; return }
            // Out of order: from here on an id needs a hash table to be found.
            var table: [Int64: Int32] = [:]
            table.reserveCapacity(nodeIDs.count * 2)
            for (earlier, known) in nodeIDs.enumerated() { table[known] = Int32(truncatingIfNeeded: earlier) }
            unsortedIndex = table
        }
        if unsortedIndex != nil {
            // One hash lookup per node: this runs for every node of the file.
            var isNew = false
            Self.claim(&unsortedIndex![id, default: -1], position, &isNew)
            guard isNew else { duplicateNodeCount += 1; return }
        }
        nodeIDs.append(id)
        longitudes.append(longitude)
        latitudes.append(latitude)
        if !tags.isEmpty { taggedNodes.append((id, tags)) }
    }

    private static func claim(_ slot: inout Int32, _ index: Int32, _ isNew: inout Bool) {
        if slot == -1 { slot = index; isNew = true }
    }
}
