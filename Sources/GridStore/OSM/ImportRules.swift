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
        /// Types that do not say what a building is used for (`yes`): they hold dwellings unless an area or
        /// their name says otherwise.
        public var ambiguousTypes: [String]?
        /// Areas (closed ways and multipolygons) in which a building of an ambiguous type holds no dwellings
        /// (a campus, a hospital, an industrial estate); the same tags on the building itself count too.
        public var nonResidentialAreas: [TagCondition]?
        /// Areas that hold dwellings: where one lies inside a non-residential area (staff housing on a campus),
        /// the smallest area holding the building decides.
        public var residentialAreas: [TagCondition]?
        /// A building of an ambiguous type whose name contains one of these (case-insensitive) holds no dwellings.
        public var nonResidentialNames: [String]?
        /// Footprints smaller than this (sheds, kiosks, garages) hold no dwellings.
        public var minimumFootprintSquareMeters: Double?
        /// `building:levels` above this is taken as this, with a warning (a typo or a vandalised tag).
        public var maximumLevels: Double?
        /// Footprints larger than this get no estimate (0, with a warning): no residential building is that large.
        public var maximumFootprintSquareMeters: Double?
    }

    /// Why an estimated building got its households; stored as `buildings.households_basis`.
    public enum HouseholdBasis: String, Sendable, CaseIterable {
        /// A residential type given by the tag (`apartments`, `house`, …).
        case residentialType = "residential type"
        /// An ambiguous type (`yes`) taken as housing by default.
        case ambiguousType = "ambiguous type"
        case nonResidentialType = "non-residential type"
        case nonResidentialArea = "non-residential area"
        case nonResidentialName = "non-residential name"
        case belowMinimumFootprint = "below minimum footprint"
        case implausibleFootprint = "implausible footprint"
    }

    public struct HouseholdEstimate: Sendable, Hashable {
        public var households: Int
        public var basis: HouseholdBasis
    }

    /// What a building's surroundings say about its use: the smallest rule area that holds its point.
    public enum AreaUse: Sendable, Hashable {
        case residential
        case nonResidential(String)
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

    public static let shippedMaximumLevels = 200.0
    public static let shippedMaximumFootprint = 1_000_000.0

    public var maximumLevels: Double { households.maximumLevels ?? Self.shippedMaximumLevels }
    public var maximumFootprintSquareMeters: Double { households.maximumFootprintSquareMeters ?? Self.shippedMaximumFootprint }

    /// The number `building:levels` holds, unclamped; nil when it holds no positive finite number.
    public func taggedLevels(_ tags: OSMTags) -> Double? {
        guard let text = tags["building:levels"], let levels = Self.leadingNumber(text), levels.isFinite, levels > 0 else { return nil }
        return levels
    }

    /// Levels for a building: `building:levels` when it is a positive number (at most `maximumLevels`), else the
    /// type's default.
    public func levels(buildingType: String, tags: OSMTags) -> (levels: Double, estimated: Bool) {
        if let levels = taggedLevels(tags) { return (min(levels, maximumLevels), false) }
        return (households.defaultLevels[buildingType] ?? households.fallbackLevels, true)
    }

    /// Households = max(1, round(footprint × levels ÷ dwelling)) for residential types, 0 for the rest.
    /// Levels are clamped to [0, maximumLevels] and footprints above `maximumFootprintSquareMeters` (or not
    /// finite) give 0, so the product stays far inside `Int`; the conversion is checked all the same.
    public func households(buildingType: String, footprintSquareMeters: Double, levels: Double) -> Int {
        guard households.residentialTypes.contains(buildingType) else { return 0 }
        guard footprintSquareMeters.isFinite, footprintSquareMeters >= 0,
              footprintSquareMeters <= maximumFootprintSquareMeters else { return 0 }
        let floors = levels.isFinite ? min(max(levels, 0), maximumLevels) : 0
        let estimate = (footprintSquareMeters * floors / households.dwellingSquareMeters).rounded()
        guard let count = Int(exactly: estimate) else { return 0 }
        return max(1, count)
    }

    /// The households rule with its exceptions, in order: non-residential type; implausible or too small a
    /// footprint; for an ambiguous type, a non-residential area holding it or a non-residential name; else the formula.
    public func estimate(
        buildingType: String, name: String?, footprintSquareMeters: Double, levels: Double, area: AreaUse?
    ) -> HouseholdEstimate {
        guard households.residentialTypes.contains(buildingType) else { return .init(households: 0, basis: .nonResidentialType) }
        guard footprintSquareMeters.isFinite, footprintSquareMeters <= maximumFootprintSquareMeters else {
            return .init(households: 0, basis: .implausibleFootprint)
        }
        if footprintSquareMeters < (households.minimumFootprintSquareMeters ?? 0) {
            return .init(households: 0, basis: .belowMinimumFootprint)
        }
        let ambiguous = households.ambiguousTypes?.contains(buildingType) ?? false
        if ambiguous {
            if case .nonResidential? = area { return .init(households: 0, basis: .nonResidentialArea) }
            if let name, isNonResidentialName(name) { return .init(households: 0, basis: .nonResidentialName) }
        }
        return .init(households: households(buildingType: buildingType, footprintSquareMeters: footprintSquareMeters, levels: levels),
                     basis: ambiguous ? .ambiguousType : .residentialType)
    }

    public func isNonResidentialName(_ name: String) -> Bool {
        guard let words = households.nonResidentialNames, !words.isEmpty else { return false }
        let folded = name.lowercased()
        return words.contains { !$0.isEmpty && folded.contains($0.lowercased()) }
    }

    /// Whether an area's tags make it one the households rule looks at, and which kind.
    public func areaUse(of tags: OSMTags) -> AreaUse? {
        if let condition = households.nonResidentialAreas?.first(where: { $0.matches(tags) }) {
            return .nonResidential("\(condition.key)=\(tags[condition.key] ?? "")")
        }
        if households.residentialAreas?.contains(where: { $0.matches(tags) }) ?? false { return .residential }
        return nil
    }

    /// Above these a building's tags or footprint are data errors (the tallest buildings have about 160
    /// floors, the largest about 20,000 dwellings); importers clamp or refuse them and say so.
    public static let maximumHouseholds = 1_000_000

    /// "5", "5.5", "5;6", "5-6" → 5 or 5.5: the first number in the value.
    static func leadingNumber(_ text: String) -> Double? {
        let prefix = text.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber || $0 == "." }
        return Double(prefix)
    }

    public static func decode(_ data: Data, file: String) throws -> ImportRules {
        do {
            let rules = try JSONDecoder().decode(ImportRules.self, from: data)
            try rules.households.check(file: file)
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
        "dwellingSquareMeters": 90,
        "ambiguousTypes": ["yes"],
        "nonResidentialAreas": [
          {"key": "amenity", "values": ["university", "college", "school", "kindergarten", "hospital", "clinic",
                                        "prison", "library", "place_of_worship", "townhall", "courthouse",
                                        "police", "fire_station", "community_centre", "marketplace"]},
          {"key": "landuse", "values": ["industrial", "commercial", "retail", "education", "military", "railway",
                                        "garages", "port", "religious", "cemetery"]},
          {"key": "leisure", "values": ["sports_centre", "stadium", "park"]},
          {"key": "aeroway", "values": ["aerodrome"]},
          {"key": "power", "values": ["plant", "substation"]}
        ],
        "residentialAreas": [{"key": "landuse", "values": ["residential"]}],
        "nonResidentialNames": ["图书馆", "体育馆", "教学楼", "食堂", "餐厅", "办公楼", "医院", "门诊", "实验楼", "实验室",
                                "研究所", "研究院", "博物馆", "展览馆", "礼堂", "学院", "大楼", "中心", "车站", "仓库",
                                "车库", "厂房", "商场", "超市", "酒店", "宾馆", "会堂", "学校", "小学", "中学", "幼儿园",
                                "系馆", "科学馆", "游泳馆", "教堂",
                                "library", "gym", "stadium", "school", "college", "university", "hospital", "clinic",
                                "church", "chapel", "museum", "station", "warehouse", "garage", "office", "factory",
                                "supermarket", "hotel", "laboratory", "theatre", "theater", "cinema"],
        "minimumFootprintSquareMeters": 30,
        "maximumLevels": 200,
        "maximumFootprintSquareMeters": 1000000
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

extension ImportRules.HouseholdRule {
    /// Refuses values the households formula cannot use, naming the field.
    func check(file: String) throws {
        func fail(_ field: String, _ rule: String) -> StoreError { .badInput("\(file): households.\(field) \(rule)") }
        guard dwellingSquareMeters.isFinite, dwellingSquareMeters >= 1 else { throw fail("dwellingSquareMeters", "must be a number ≥ 1") }
        guard fallbackLevels.isFinite, fallbackLevels >= 0 else { throw fail("fallbackLevels", "must be a number ≥ 0") }
        for (type, levels) in defaultLevels where !(levels.isFinite && levels >= 0) {
            throw fail("defaultLevels.\(type)", "must be a number ≥ 0")
        }
        if let value = minimumFootprintSquareMeters, !(value.isFinite && value >= 0) {
            throw fail("minimumFootprintSquareMeters", "must be a number ≥ 0")
        }
        if let value = maximumLevels, !(value.isFinite && value >= 1 && value <= 1000) {
            throw fail("maximumLevels", "must be between 1 and 1000")
        }
        if let value = maximumFootprintSquareMeters, !(value.isFinite && value > 0 && value <= 100_000_000) {
            throw fail("maximumFootprintSquareMeters", "must be between 0 and 100000000 (100 km²)")
        }
        if nonResidentialNames?.contains(where: { $0.isEmpty }) ?? false {
            throw fail("nonResidentialNames", "must not hold an empty name")
        }
    }
}
