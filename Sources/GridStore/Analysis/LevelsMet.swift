import GridAnalysis

/// The life-circle levels a building meets, as `coverage_buildings.levels_met` holds them: the levels' minutes,
/// comma-separated (`5,10,15`; `7.5` keeps its fraction). Written and read only through this type, so the column,
/// the `coverage_met` test (every level of the run's profile) and readers agree on one spelling.
public struct LevelsMet: Sendable, Hashable {
    public var minutes: [Double]

    public init(minutes: [Double]) { self.minutes = minutes }

    /// Every level of `profile`: the value of a building that meets them all.
    public static func all(of profile: LifeCircleProfile) -> LevelsMet { LevelsMet(minutes: profile.levels.map(\.minutes)) }

    /// The levels building `building` of `result` meets.
    public static func met(building: Int, in result: Coverage.Result) -> LevelsMet {
        LevelsMet(minutes: result.profile.levels.indices.filter { result.results.isLevelMet(building: building, level: $0) }
            .map { result.profile.levels[$0].minutes })
    }

    /// Reads the column's text; nil when an item is not a number.
    public init?(stored text: String) {
        var minutes: [Double] = []
        for item in text.split(separator: ",") {
            guard let value = Double(item), value.isFinite else { return nil }
            minutes.append(value)
        }
        self.minutes = minutes
    }

    /// The column's text.
    public var stored: String { minutes.map(CoverageRuns.formatMinutes).joined(separator: ",") }
}
