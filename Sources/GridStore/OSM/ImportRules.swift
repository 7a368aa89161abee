import Foundation
import GridModel

/// Everything an OSM import decides from tags, kept as data so planners can override it
/// (`communitygrid rules > rules.json`, edit, then `import osm --rules rules.json`).
public struct ImportRules: Codable, Sendable, Hashable {
    public var walk: WalkRule
    public var households: HouseholdRule
    /// Ordered: the first rule that matches an object gives its category.
    public var facilities: [FacilityRule]

    /// The osmnx 2.x `network_type="walk"` filter (the same rule as the peer benchmarks).
    public struct WalkRule: Codable, Sendable, Hashable {
        /// A way is excluded when its `highway` value contains any of these substrings.
        public var excludedHighwaySubstrings: [String]
        /// A way is excluded when any of these tags has one of the listed values.
        public var excludedTags: [TagCondition]
    }

    public struct HouseholdRule: Codable, Sendable, Hashable {
        /// Building types that hold dwellings; every other type gets 0 households.
        public var residentialTypes: [String]
        /// Levels when `building:levels` is missing, per building type.
        public var defaultLevels: [String: Double]
        /// Levels for a residential type missing from `defaultLevels`.
        public var fallbackLevels: Double
        /// Gross floor area per dwelling.
        public var dwellingSquareMeters: Double
    }

    public struct TagCondition: Codable, Sendable, Hashable {
        public var key: String
        /// Matches when the value is one of these; nil with `contains` nil means "the key is present".
        public var values: [String]?
        /// Matches when the value contains this substring.
        public var contains: String?

        public init(key: String, values: [String]? = nil, contains: String? = nil) {
            self.key = key; self.values = values; self.contains = contains
        }

        public func matches(_ tags: OSMTags) -> Bool {
            guard let value = tags[key] else { return false }
            if let values, !values.contains(value) { return false }
            if let contains, !value.contains(contains) { return false }
            return true
        }
    }

    public struct FacilityRule: Codable, Sendable, Hashable {
        public var category: String
        /// Any of these alternatives matches; each alternative needs all of its conditions.
        public var anyOf: [[TagCondition]]

        public func matches(_ tags: OSMTags) -> Bool {
            anyOf.contains { conditions in conditions.allSatisfy { $0.matches(tags) } }
        }
    }

    public func isWalkable(_ tags: OSMTags) -> Bool {
        var memo: [String: Bool] = [:]
        return isWalkable(tags, memo: &memo)
    }

    /// `memo` remembers the verdict per highway value: a file has a few dozen values and thousands of ways.
    public func isWalkable(_ tags: OSMTags, memo: inout [String: Bool]) -> Bool {
        guard let highway = tags["highway"] else { return false }
        let excluded: Bool
        if let known = memo[highway] {
            excluded = known
        } else {
            excluded = walk.excludedHighwaySubstrings.contains { highway.contains($0) }
            memo[highway] = excluded
        }
        if excluded { return false }
        return !walk.excludedTags.contains { $0.matches(tags) }
    }

    public func category(of tags: OSMTags) -> String? {
        facilities.first { $0.matches(tags) }?.category
    }

    public var categories: [String] {
        var seen = Set<String>()
        return facilities.map(\.category).filter { seen.insert($0).inserted }
    }

    /// Levels for a building: `building:levels` when it is a positive number, else the type's default.
    public func levels(buildingType: String, tags: OSMTags) -> (levels: Double, estimated: Bool) {
        if let text = tags["building:levels"], let levels = Self.leadingNumber(text), levels > 0 {
            return (levels, false)
        }
        return (households.defaultLevels[buildingType] ?? households.fallbackLevels, true)
    }

    /// Households = max(1, round(footprint × levels ÷ dwelling)) for residential types, 0 for the rest,
    /// at most `maximumHouseholds`: an absurd footprint or level count must not overflow a count.
    public func households(buildingType: String, footprintSquareMeters: Double, levels: Double) -> Int {
        guard households.residentialTypes.contains(buildingType) else { return 0 }
        let estimate = (footprintSquareMeters * levels / households.dwellingSquareMeters).rounded()
        if estimate.isNaN { return 1 }
        return Int(exactly: min(max(1, estimate), Double(Self.maximumHouseholds))) ?? 1
    }

    /// Above these a building's tags or footprint are data errors (the tallest buildings have about 160
    /// floors, the largest about 20,000 dwellings); importers clamp or refuse them and say so.
    public static let maximumLevels = 200
    public static let maximumHouseholds = 1_000_000

    /// "5", "5.5", "5;6", "5-6" → 5 or 5.5: the first number in the value.
    static func leadingNumber(_ text: String) -> Double? {
        let prefix = text.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber || $0 == "." }
        return Double(prefix)
    }

    public static func decode(_ data: Data, file: String) throws -> ImportRules {
        do {
            let rules = try JSONDecoder().decode(ImportRules.self, from: data)
            guard rules.households.dwellingSquareMeters > 0 else {
                throw StoreError.badInput("\(file): households.dwellingSquareMeters must be positive")
            }
            return rules
        } catch let error as DecodingError {
            throw StoreError.badInput("\(file): not a valid rules file: \(error.fieldDescription)")
        }
    }

    public static let `default`: ImportRules = {
        // The shipped rules are JSON text so `communitygrid rules` prints exactly what is applied.
        try! JSONDecoder().decode(ImportRules.self, from: Data(defaultJSON.utf8))
    }()

    public static let defaultJSON = #"""
    {
      "walk": {
        "excludedHighwaySubstrings": ["abandoned", "bus_guideway", "construction", "cycleway", "motor", "no",
                                      "planned", "platform", "proposed", "raceway", "razed"],
        "excludedTags": [
          {"key": "area", "values": ["yes"]},
          {"key": "foot", "values": ["no"]},
          {"key": "service", "values": ["private"]},
          {"key": "access", "values": ["private"]}
        ]
      },
      "households": {
        "residentialTypes": ["residential", "apartments", "house", "detached", "semidetached_house", "terrace",
                             "dormitory", "bungalow", "yes"],
        "defaultLevels": {"residential": 6, "apartments": 6, "dormitory": 5, "house": 2, "detached": 2,
                          "semidetached_house": 2, "terrace": 2, "bungalow": 1, "yes": 3},
        "fallbackLevels": 3,
        "dwellingSquareMeters": 90
      },
      "facilities": [
        {"category": "clinic", "anyOf": [
          [{"key": "amenity", "values": ["clinic", "doctors", "hospital"]}],
          [{"key": "healthcare", "values": ["clinic", "doctor", "hospital", "centre"]}]]},
        {"category": "pharmacy", "anyOf": [
          [{"key": "amenity", "values": ["pharmacy"]}], [{"key": "healthcare", "values": ["pharmacy"]}]]},
        {"category": "school", "anyOf": [[{"key": "amenity", "values": ["school"]}]]},
        {"category": "kindergarten", "anyOf": [[{"key": "amenity", "values": ["kindergarten", "childcare"]}]]},
        {"category": "elderly_care", "anyOf": [
          [{"key": "amenity", "values": ["nursing_home"]}],
          [{"key": "social_facility", "values": ["nursing_home", "assisted_living"]}],
          [{"key": "amenity", "values": ["social_facility"]}, {"key": "social_facility:for", "contains": "senior"}]]},
        {"category": "grocery", "anyOf": [
          [{"key": "shop", "values": ["supermarket", "convenience", "greengrocer", "grocery", "general", "deli",
                                      "butcher", "bakery"]}],
          [{"key": "amenity", "values": ["marketplace"]}]]},
        {"category": "community_service", "anyOf": [
          [{"key": "amenity", "values": ["community_centre", "social_centre"]}],
          [{"key": "office", "values": ["government"]}, {"key": "government", "values": ["community", "social_services"]}],
          [{"key": "social_facility", "values": ["outreach"]}]]},
        {"category": "rail_station", "anyOf": [
          [{"key": "railway", "values": ["station", "halt", "subway_entrance"]}],
          [{"key": "public_transport", "values": ["station"]}]]},
        {"category": "transit_stop", "anyOf": [
          [{"key": "highway", "values": ["bus_stop"]}],
          [{"key": "railway", "values": ["tram_stop"]}],
          [{"key": "public_transport", "values": ["platform", "stop_position"]}]]}
      ]
    }
    """#
}
