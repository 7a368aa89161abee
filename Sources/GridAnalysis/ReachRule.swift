import GridModel

/// The one rule for how far a walk reaches, behind coverage, isochrones, site suggestion, the API and the map.
///
/// A point (a building's representative point, a facility, an isochrone origin) joins the walking network at
/// the nearest point of the nearest edge of the network's parts as `NetworkParts` judges them, if that point lies within
/// `snapLimit`; the straight leg to it is walked like the network, so a walking distance is
/// origin leg + network path + destination leg. A walking time is that distance at `walkingSpeed`.
/// Profiles carry the rule (`LifeCircleProfile.reach`); the shipped profile holds the default speed.
public struct ReachRule: Sendable, Hashable {
    /// Metres per second.
    public var walkingSpeed: Double
    /// Points farther than this from the network are off it: never reached, and refused as origins.
    public var snapLimit: Meters

    public init(walkingSpeed: Double, snapLimit: Meters) {
        self.walkingSpeed = walkingSpeed
        self.snapLimit = snapLimit
    }

    /// The shipped profile's rule (GB 50180-2018).
    public static var shipped: ReachRule { LifeCircleProfile.gb50180.reach }

    /// The walking distance of a walk of `minutes`.
    public func distance(minutes: Double) -> Meters { Meters(minutes * 60 * walkingSpeed) }

    /// Minutes to walk `distance`.
    public func minutes(_ distance: Meters) -> Double { distance.value / walkingSpeed / 60 }

    /// The snapper the rule places points with, over the network's parts as `NetworkParts` judges them: the largest
    /// and every part with enough walkways; a smaller part that one of `facilities` joins within the snap limit only
    /// for points no such part is within reach of. Fragments cut off by an extract's edge do not strand the points
    /// beside them, and a district in a part of its own keeps its coverage. Every caller passes the facilities it
    /// knows of, so coverage, isochrones and suggestions join the same parts.
    public func snapper(_ graph: WalkingGraph, facilities: [Coordinate]) -> EdgeSnapper {
        let parts = NetworkParts(graph: graph, facilities: facilities, snapLimit: snapLimit)
        let major = parts.major, fallback = parts.fallback
        // A connected network (or one whose every part is major) needs no mask.
        var snapper = parts.majorSnapper ?? EdgeSnapper(graph: graph, usableComponents: major.allSatisfy { $0 } ? nil : major)
        if fallback.contains(true) { snapper.fallback = [EdgeSnapper(graph: graph, usableComponents: fallback)] }
        return snapper
    }

    /// Where each point joins the network (nil: farther than the snap limit).
    public func place(_ points: [Coordinate], on snapper: EdgeSnapper) -> [SnapPoint?] {
        snapper.snap(points, maxDistance: snapLimit)
    }

    public func place(_ point: Coordinate, on snapper: EdgeSnapper) -> SnapPoint? {
        snapper.snap(point, maxDistance: snapLimit)
    }

    /// Checks the numbers; the message names the field as profiles spell it.
    public func problem() -> String? {
        guard walkingSpeed.isFinite, walkingSpeed > 0, walkingSpeed <= 5 else {
            return "walkingSpeed must be in (0, 5] m/s, got \(IsochroneError.number(walkingSpeed))"
        }
        guard snapLimit.value.isFinite, snapLimit.value >= 0, snapLimit.value <= 2000 else {
            return "snapDistance must be in [0, 2000] m, got \(IsochroneError.number(snapLimit.value))"
        }
        return nil
    }
}

/// Buildings placed on the network by a reach rule once, for many isochrones on the same data.
public struct PlacedBuildings: Sendable {
    public let buildings: [Coverage.Building]
    public let snaps: [SnapPoint?]
    /// The snap limit they were placed with.
    public let snapLimit: Meters

    public init(_ buildings: [Coverage.Building], snapper: EdgeSnapper, rule: ReachRule) {
        self.buildings = buildings
        snaps = rule.place(buildings.map(\.point), on: snapper)
        snapLimit = rule.snapLimit
    }
}
