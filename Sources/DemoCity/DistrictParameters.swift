import GridModel

/// Size, place and seed of a generated district. Blocks are superblocks of about 300 m between street centre lines.
public struct DistrictParameters: Sendable, Hashable {
    public var seed: UInt64
    /// South-west corner of the street grid.
    public var origin: Coordinate
    public var blocksEast: Int
    public var blocksNorth: Int
    /// Communities tile the district in rectangles of whole blocks.
    public var communitiesEast: Int
    public var communitiesNorth: Int

    public init(
        seed: UInt64 = 1,
        origin: Coordinate = Coordinate(longitude: 116.46, latitude: 39.93),
        blocksEast: Int = 8,
        blocksNorth: Int = 8,
        communitiesEast: Int = 3,
        communitiesNorth: Int = 3
    ) {
        self.seed = seed
        self.origin = origin
        self.blocksEast = blocksEast
        self.blocksNorth = blocksNorth
        self.communitiesEast = communitiesEast
        self.communitiesNorth = communitiesNorth
    }

    /// The demo district: 8 × 8 blocks (2.4 km square), 9 communities in two sub-districts.
    public static let demo = DistrictParameters(
        seed: 50180, blocksEast: 8, blocksNorth: 8, communitiesEast: 3, communitiesNorth: 3)

    /// A near-square city whose walking network has about `targetNetworkNodes` nodes, for benchmarks.
    public static func city(targetNetworkNodes: Int, seed: UInt64 = 1) -> DistrictParameters {
        let (blocksEast, blocksNorth) = citySize(targetNetworkNodes: targetNetworkNodes, seed: seed)
        return DistrictParameters(
            seed: seed, blocksEast: blocksEast, blocksNorth: blocksNorth,
            communitiesEast: max(1, Int((Double(blocksEast) / 3).rounded())),
            communitiesNorth: max(1, Int((Double(blocksNorth) / 3).rounded())))
    }

    /// Street nodes are counted exactly; compound and park paths per block are measured on an 8 × 8
    /// district with the same seed. The east size is then solved for the rounded north size, so that
    /// rounding costs a fraction of one block column rather than a whole ring of blocks.
    static func citySize(targetNetworkNodes: Int, seed: UInt64) -> (Int, Int) {
        let k = 8
        let sample = District.generate(DistrictParameters(
            seed: seed, blocksEast: k, blocksNorth: k, communitiesEast: 3, communitiesNorth: 3))
        let s = Double(Layout.segmentsPerBlock)
        let target = Double(max(targetNetworkNodes, 1))
        // Street nodes of an e × n grid: (n+1)(s·e+1) + (e+1)(s·n+1) − (e+1)(n+1).
        func streetNodes(_ e: Double, _ n: Double) -> Double { (n + 1) * (s * e + 1) + (e + 1) * (s * n + 1) - (e + 1) * (n + 1) }
        let perBlock = max(0, (Double(sample.walkableNodeCount) - streetNodes(Double(k), Double(k))) / Double(k * k))
        // Square first: (perBlock + 2s − 1) n² + 2s n + 1 = target.
        let a = perBlock + 2 * s - 1, b = 2 * s, c = 1 - target
        let side = (-b + (b * b - 4 * a * c).squareRoot()) / (2 * a)
        let north = max(1, Int(side.rounded()))
        let n = Double(north)
        // Linear in e: e·(perBlock·n + s(n+1) + s·n − n) + s·n + 1 = target.
        let east = (target - s * n - 1) / (perBlock * n + s * (n + 1) + s * n - n)
        return (max(1, Int(east.rounded())), north)
    }
}

/// Fixed dimensions of the street grid, in metres.
enum Layout {
    static let block = 300.0
    /// Street ways get a shape node every block / segmentsPerBlock (75 m).
    static let segmentsPerBlock = 4
    /// Street centre line to compound fence.
    static let fence = 17.0
    /// Street centre line to the nearest building.
    static let setback = 20.0
    /// First OSM node id; above 2^31 so that readers must keep 64-bit ids.
    static let nodeIDBase: Int64 = 3_000_000_000
}
