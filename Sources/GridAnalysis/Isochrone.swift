import GridModel

/// Isochrones on the walking network: the land within a walking time or distance of one or more origins,
/// as nested, valid (Multi)Polygons with holes, with what lies inside.
///
/// The pipeline is Valhalla's (search → grid of costs → contours), made exact on the network:
/// 1. One multi-source Dijkstra (1959) from the snapped origins, bounded by the largest contour. Every
///    reached edge is cut at the exact remaining budget, from both ends and from the origins' own snap
///    points (an origin in the middle of a long edge walks both ways along it); each origin's straight
///    off-network leg to its snap point is part of the reach.
/// 2. A local metric grid over the reach. Each sample holds the least "network distance at a network point p
///    + straight distance from the sample to p" over the reached points p within `offNetworkAllowance`,
///    computed exactly per segment (the minimum of a convex function along it; one square root per sample
///    where the walk's cost never decreases, since the best point is then the first within reach).
/// 3. Per contour, binary marching squares (Lorensen & Cline 1987, in 2-D) through the midpoints of
///    the grid edges, saddles always joining the reached side. The reached sample set grows with the
///    contour and this tracing is monotone in it, so **a larger contour's polygon contains the smaller
///    one's by construction**; its rings never cross or touch, so every polygon is valid (OGC simple
///    features) with the RFC 7946 right-hand rule; holes smaller than `minimumHoleArea` are filled (a
///    rule that also keeps nesting: a hole of the larger contour lies inside one of the smaller's).
///
/// Exactness: the polygon of contour c contains every network point reached within c (each sample's leg is
/// relieved by 0.79 cell, `IsochroneGrid.slack`, so no reached point can fall between samples). The
/// allowance's edge is traced where it lies, to within a cell either way: no land beyond the reach but that.
/// Straight runs drawn point by point are rasterised as one chord when they stay within a tenth of a cell
/// of it, their distances lowered by that deviation, so the guarantee holds.
public enum Isochrone {
    /// One contour: a walking time or a walking distance.
    public enum Contour: Sendable, Hashable, CustomStringConvertible {
        case minutes(Double)
        case meters(Double)

        /// The number as given, in its unit.
        public var value: Double {
            switch self {
            case .minutes(let m): m
            case .meters(let m): m
            }
        }

        /// Walking distance: the minutes at the rule's speed, or the metres themselves.
        public func distance(_ rule: ReachRule) -> Meters {
            switch self {
            case .minutes(let m): rule.distance(minutes: m)
            case .meters(let m): Meters(m)
            }
        }

        public var description: String {
            switch self {
            case .minutes(let m): "\(IsochroneError.number(m)) min"
            case .meters(let m): "\(IsochroneError.number(m)) m"
            }
        }
    }

    /// Where the walk starts.
    public enum Origin: Sendable, Hashable {
        /// A WGS84 point, snapped to the nearest point of the nearest edge as the coverage core does.
        case point(Coordinate)
        /// One facility, by id.
        case facility(Int64)
        /// Every facility of a category at once (multi-origin: the nearest one counts).
        case category(String)
    }

    public struct Options: Sendable, Hashable {
        /// Walking speed and snap limit: the profile's reach rule, the same one coverage applies.
        public var reach: ReachRule
        /// How far from the walking network land without buildings still counts as reached: a straight leg
        /// taken out of the budget left at the network point it leaves from. Buildings follow the reach rule
        /// instead (see `Isochrone`).
        public var offNetworkAllowance: Meters
        /// Side of the grid cells the polygons are traced on; enlarged when the reach would need more than
        /// `maximumCells` cells.
        public var cellSize: Meters
        /// Unreached holes smaller than this (m²) are filled, unless they hold an unreached building.
        public var minimumHoleArea: Double
        public var maximumCells: Int

        public init(reach: ReachRule = .shipped, offNetworkAllowance: Meters = Meters(25),
                    cellSize: Meters = Meters(5), minimumHoleArea: Double = 2000, maximumCells: Int = 4_000_000) {
            self.reach = reach
            self.offNetworkAllowance = offNetworkAllowance
            self.cellSize = cellSize
            self.minimumHoleArea = minimumHoleArea
            self.maximumCells = maximumCells
        }

        /// Metres per second (the reach rule's).
        public var walkingSpeed: Double {
            get { reach.walkingSpeed }
            set { reach.walkingSpeed = newValue }
        }

        /// Origins farther than this from the network are refused (the reach rule's).
        public var snapLimit: Meters {
            get { reach.snapLimit }
            set { reach.snapLimit = newValue }
        }

        public func validate() throws(IsochroneError) {
            func check(_ ok: Bool, _ parameter: IsochroneError.Parameter, _ text: String) throws(IsochroneError) {
                if !ok { throw IsochroneError(parameter, "\(parameter.rawValue): \(text)") }
            }
            try check(walkingSpeed.isFinite && walkingSpeed > 0 && walkingSpeed <= 5, .walkingSpeed,
                      "\(IsochroneError.number(walkingSpeed)) m/s is outside (0, 5]")
            try check(snapLimit.value.isFinite && snapLimit.value >= 0 && snapLimit.value <= 2000, .snapLimit,
                      "\(IsochroneError.number(snapLimit.value)) m is outside [0, 2000]")
            try check(offNetworkAllowance.value.isFinite && offNetworkAllowance.value >= 0 && offNetworkAllowance.value <= 200,
                      .offNetworkAllowance, "\(IsochroneError.number(offNetworkAllowance.value)) m is outside [0, 200]")
            try check(cellSize.value.isFinite && cellSize.value >= 0.5 && cellSize.value <= 100, .cellSize,
                      "\(IsochroneError.number(cellSize.value)) m is outside [0.5, 100]")
            try check(minimumHoleArea.isFinite && minimumHoleArea >= 0, .minimumHoleArea,
                      "\(IsochroneError.number(minimumHoleArea)) m² is not a non-negative number")
            try check(maximumCells >= 1024 && maximumCells <= 64_000_000, .maximumCells,
                      "\(maximumCells) is outside [1024, 64000000]")
        }
    }

    /// At most this many contours per request.
    public static let maximumContours = 10
    /// Largest time contour, minutes.
    public static let maximumMinutes = 60.0
    /// Largest distance contour, metres.
    public static let maximumMeters = 5000.0

    /// Checks the contours (one to `maximumContours`, each positive and at most 60 minutes or 5000 m, none
    /// given twice) and returns their walking distances in the same order.
    public static func validate(_ contours: [Contour], options: Options) throws(IsochroneError) -> [Meters] {
        try options.validate()
        guard !contours.isEmpty else {
            throw IsochroneError(.contours, "contours: none given; give at least one time (minutes) or distance (meters)")
        }
        guard contours.count <= maximumContours else {
            throw IsochroneError(.contours, "contours: \(contours.count) given; at most \(maximumContours) are allowed")
        }
        var seen = Set<Contour>()
        for contour in contours {
            let (parameter, limit): (IsochroneError.Parameter, Double) = switch contour {
            case .minutes: (.minutes, maximumMinutes)
            case .meters: (.meters, maximumMeters)
            }
            let value = contour.value
            guard value.isFinite else {
                throw IsochroneError(parameter, "\(parameter.rawValue): \(IsochroneError.number(value)) is not a number")
            }
            guard value > 0 else {
                throw IsochroneError(parameter, "\(parameter.rawValue): \(IsochroneError.number(value)) is not positive")
            }
            guard value <= limit else {
                throw IsochroneError(parameter, "\(parameter.rawValue): \(IsochroneError.number(value)) is more than the maximum of \(IsochroneError.number(limit))")
            }
            guard seen.insert(contour).inserted else {
                throw IsochroneError(parameter, "\(parameter.rawValue): \(IsochroneError.number(value)) is given twice")
            }
        }
        return contours.map { $0.distance(options.reach) }
    }

    /// An origin placed on the network.
    public struct PlacedOrigin: Sendable, Hashable {
        /// The point as given (the facility's location for facility origins).
        public var location: Coordinate
        public var snap: SnapPoint
        public var facilityID: Int64?

        public init(location: Coordinate, snap: SnapPoint, facilityID: Int64? = nil) {
            self.location = location
            self.snap = snap
            self.facilityID = facilityID
        }
    }

    /// The origins of a request on the snapper's network. Facilities of a category that lie beyond the snap
    /// limit are left out and listed; a point or a single facility beyond it is an error.
    public static func place(
        _ origin: Origin, snapper: EdgeSnapper, facilities: [Coverage.Facility], options: Options
    ) throws(IsochroneError) -> (origins: [PlacedOrigin], offNetwork: [Int64]) {
        let rule = options.reach, limit = rule.snapLimit
        /// Distance to the network when beyond the limit (searched up to 50 km for the message).
        func distanceBeyond(_ point: Coordinate) -> Double {
            snapper.snap(point, maxDistance: Meters(50_000))?.offNetwork.value ?? .infinity
        }
        switch origin {
        case .point(let point):
            guard point.isValidWGS84 else {
                throw IsochroneError(.origin, "origin \(IsochroneError.position(point)) is not a WGS84 longitude/latitude")
            }
            guard let snap = rule.place(point, on: snapper) else {
                let d = distanceBeyond(point)
                throw IsochroneError(.origin, "origin \(IsochroneError.position(point)) is \(d.isFinite ? IsochroneError.metres(d) : "more than 50 km") from the walking network; the limit is \(IsochroneError.metres(limit.value))")
            }
            return ([PlacedOrigin(location: point, snap: snap)], [])
        case .facility(let id):
            guard let facility = facilities.first(where: { $0.id == id }) else {
                throw IsochroneError(.facility, "facility \(id): no facility has this id")
            }
            guard let snap = rule.place(facility.location, on: snapper) else {
                let d = distanceBeyond(facility.location)
                throw IsochroneError(.facility, "facility \(id) at \(IsochroneError.position(facility.location)) is \(d.isFinite ? IsochroneError.metres(d) : "more than 50 km") from the walking network; the limit is \(IsochroneError.metres(limit.value))")
            }
            return ([PlacedOrigin(location: facility.location, snap: snap, facilityID: id)], [])
        case .category(let category):
            let members = facilities.filter { $0.category == category }.sorted { $0.id < $1.id }
            guard !members.isEmpty else {
                let known = Set(facilities.map(\.category)).sorted()
                throw IsochroneError(.category, "category \(category): no facility has this category"
                                     + (known.isEmpty ? " (there are no facilities)" : " (categories: \(known.joined(separator: ", ")))"))
            }
            var placed: [PlacedOrigin] = [], off: [Int64] = []
            for (facility, snap) in zip(members, rule.place(members.map(\.location), on: snapper)) {
                if let snap {
                    placed.append(PlacedOrigin(location: facility.location, snap: snap, facilityID: facility.id))
                } else {
                    off.append(facility.id)
                }
            }
            guard !placed.isEmpty else {
                let nearest = members.map { distanceBeyond($0.location) }.min() ?? .infinity
                throw IsochroneError(.category, "category \(category): none of its \(members.count) facilities lies within \(IsochroneError.metres(limit.value)) of the walking network (the nearest is \(nearest.isFinite ? IsochroneError.metres(nearest) : "more than 50 km") away)")
            }
            return (placed, off)
        }
    }

    /// One contour's area and what lies inside it.
    public struct Band: Sendable, Hashable {
        public var contour: Contour
        public var distance: Meters
        /// RFC 7946 oriented; no polygons when nothing is reached.
        public var geometry: MultiPolygon
        public var areaSquareMeters: Double
        /// Area ÷ area of the circle whose radius is the contour's distance (1 = the whole circle).
        public var reachFactor: Double
        /// Buildings the contour reaches by the reach rule (their representative points lie inside), and
        /// their households: the figures coverage gives for the same origins and distance.
        public var buildings: Int
        public var households: Int
        /// Facilities inside, by category.
        public var facilities: [String: Int]
    }

    public struct Result: Sendable {
        /// One per contour, ascending by distance (ties in request order).
        public var bands: [Band]
        public var origins: [PlacedOrigin]
        /// Facilities of a category origin left out because they lie beyond the snap limit.
        public var originsOffNetwork: [Int64]
        /// Network junctions reached within the largest contour.
        public var reachedNodes: Int
        /// The cell size used (larger than asked when the reach needed more than `maximumCells`).
        public var cellSize: Meters
    }

    /// Validates, places the origin, and builds every contour with its properties. Buildings are placed on
    /// the network by the options' reach rule.
    public static func run(
        snapper: EdgeSnapper, origin: Origin, contours: [Contour], options: Options = Options(),
        facilities: [Coverage.Facility] = [], buildings: [Coverage.Building],
        workspace: IsochroneWorkspace? = nil, isCancelled: () -> Bool = { false }
    ) throws -> Result {
        try run(snapper: snapper, origin: origin, contours: contours, options: options, facilities: facilities,
                placedBuildings: buildings.isEmpty ? nil : PlacedBuildings(buildings, snapper: snapper, rule: options.reach),
                workspace: workspace, isCancelled: isCancelled)
    }

    /// As above, with buildings placed once for many requests (placed again when their snap limit is not
    /// the options').
    public static func run(
        snapper: EdgeSnapper, origin: Origin, contours: [Contour], options: Options = Options(),
        facilities: [Coverage.Facility] = [], placedBuildings: PlacedBuildings? = nil,
        workspace: IsochroneWorkspace? = nil, isCancelled: () -> Bool = { false }
    ) throws -> Result {
        _ = try validate(contours, options: options)
        let (origins, offNetwork) = try place(origin, snapper: snapper, facilities: facilities, options: options)
        var placed = placedBuildings
        if let given = placed, given.snapLimit != options.snapLimit {
            placed = PlacedBuildings(given.buildings, snapper: snapper, rule: options.reach)
        }
        var result = try run(graph: snapper.graph, origins: origins, contours: contours, options: options,
                             facilities: facilities, buildings: placed, workspace: workspace, isCancelled: isCancelled)
        result.originsOffNetwork = offNetwork
        return result
    }

    /// Builds every contour from origins already placed on `graph`. Throws `IsochroneError` for invalid
    /// contours or options, `GridAnalysisError` for a snap point outside the graph.
    ///
    /// Buildings (placed by the options' reach rule on the same graph) get their walking distance from the
    /// very search and arithmetic coverage uses; a contour's polygon contains a building's representative
    /// point exactly when that distance is within the contour, and its `buildings` and `households` count
    /// those buildings (see `BuildingStamps`).
    public static func run(
        graph: WalkingGraph, origins: [PlacedOrigin], contours: [Contour], options: Options = Options(),
        facilities: [Coverage.Facility] = [], buildings: PlacedBuildings? = nil,
        workspace: IsochroneWorkspace? = nil, isCancelled: () -> Bool = { false }
    ) throws -> Result {
        let distances = try validate(contours, options: options)
        let ws = workspace ?? IsochroneWorkspace()
        let order = contours.indices.sorted { (distances[$0].value, $0) < (distances[$1].value, $1) }
        let horizon = distances.map(\.value).max()!
        let center = origins.first?.location ?? Coordinate(longitude: 0, latitude: 0)
        let frame = LocalFrame(center: center)
        // Straight runs are merged within a tenth of a cell: well below what the grid resolves.
        let floor = distances.map(\.value).min()!
        // A point at or below this is reached with its whole allowance in every contour: the allowance's leg
        // is paid less the slack (at the asked cell size; a grid enlarged for `maximumCells` has more slack).
        let slack = IsochroneGrid.slackPerCell * options.cellSize.value
        let allowance = options.offNetworkAllowance.value
        let everywhereBelow = floor - max(allowance, slack) + slack
        let (reached, seeded) = try ws.collectReach(graph: graph, origins: origins, horizon: horizon, everywhereBelow: everywhereBelow,
                                                    frame: frame, chainTolerance: 0.1 * options.cellSize.value, isCancelled: isCancelled)
        // Buildings' walking distances off the same search, by coverage's own arithmetic.
        let ascending = order.map { distances[$0].value }
        var bands: [Int] = []
        if let buildings, !buildings.buildings.isEmpty {
            let columns = try NearestFacilitySearch.evaluate(graph: graph, targets: buildings.snaps, workspace: ws.search,
                                                              seeded: seeded, limit: horizon)
            bands = columns.rank.indices.map { b in
                guard columns.rank[b] >= 0 else { return ascending.count }
                let d = columns.distance[b]
                return ascending.firstIndex { d <= $0 } ?? ascending.count
            }
            // Reached buildings lie inside the grid, however far from the network their leg runs.
            for (b, building) in buildings.buildings.enumerated() where bands[b] < ascending.count {
                let x = frame.x(building.point.longitude), y = frame.y(building.point.latitude)
                guard x.isFinite, y.isFinite else { continue }
                ws.reach.minX = min(ws.reach.minX, x); ws.reach.maxX = max(ws.reach.maxX, x)
                ws.reach.minY = min(ws.reach.minY, y); ws.reach.maxY = max(ws.reach.maxY, y)
            }
        }
        let grid = ws.rasterise(allowance: allowance, horizon: horizon, floor: floor, cellSize: options.cellSize.value,
                                maximumCells: options.maximumCells, frame: frame)
        let stamps: BuildingStamps? = bands.isEmpty ? nil : ws.stampBuildings(
            points: buildings!.buildings.map(\.point), bands: bands, thresholds: ascending.map { Float($0 + grid.tolerance) }, grid: grid)
        var marks = BuildingMarks()
        var neighbours: [Int: [Int32]]?
        var result: [Band] = []
        result.reserveCapacity(contours.count)
        for (position, index) in order.enumerated() {
            let distance = distances[index]
            let below = position > 0 ? distances[order[position - 1]].value : nil
            let above = position + 1 < order.count ? distances[order[position + 1]].value : nil
            let shape = ws.trace(grid: grid, distance: distance.value, below: below, above: above,
                                 minimumHoleArea: options.minimumHoleArea, stamps: stamps, position: position)
            var geometry = shape.multiPolygon(grid: grid)
            var band = Band(contour: contours[index], distance: distance, geometry: geometry, areaSquareMeters: 0,
                            reachFactor: 0, buildings: 0, households: 0, facilities: [:])
            let locator = (stamps != nil || !facilities.isEmpty) ? shape.locator(grid: grid) : nil
            var islands: [(x: Double, y: Double, half: Double)] = []
            if let stamps, let locator, let buildings {
                let threshold = Float(distance.value + grid.tolerance)
                var extra: [Polygon] = []
                for b in stamps.band.indices where stamps.band[b] <= position {
                    band.buildings += 1
                    band.households += buildings.buildings[b].households
                    // A square at or below the threshold is inside; one above it may lie in a filled hole.
                    if stamps.square[b] >= 0 && stamps.value[b] <= threshold { continue }
                    if locator.contains(buildings.buildings[b].point) { continue }
                    guard stamps.square[b] >= 0 else { continue }
                    let half = marks.halfSide(for: b, stamps: stamps, grid: grid, neighbours: &neighbours)
                    // Closer than this to another building's point, no island can tell them apart at GeoJSON's precision.
                    guard half >= 0.01, let island = BuildingMarks.island(b, halfSide: half, stamps: stamps, grid: grid) else { continue }
                    extra.append(island)
                    islands.append((stamps.qx[b], stamps.qy[b], half * 2 / grid.cell))
                }
                if !extra.isEmpty { geometry = MultiPolygon(geometry.polygons + extra) }
            }
            let area = geometry.areaSquareMeters
            band.geometry = geometry
            band.areaSquareMeters = area
            band.reachFactor = area / (Double.pi * distance.value * distance.value)
            if let locator {
                for facility in facilities {
                    var inside = locator.contains(facility.location)
                    if !inside && !islands.isEmpty {
                        let qx = 2 * (frame.x(facility.location.longitude) - grid.x0) / grid.cell
                        let qy = 2 * (frame.y(facility.location.latitude) - grid.y0) / grid.cell
                        inside = islands.contains { abs(qx - $0.x) <= $0.half && abs(qy - $0.y) <= $0.half }
                    }
                    if inside { band.facilities[facility.category, default: 0] += 1 }
                }
            }
            result.append(band)
        }
        return Result(bands: result, origins: origins, originsOffNetwork: [], reachedNodes: reached,
                      cellSize: Meters(grid.cell))
    }
}
