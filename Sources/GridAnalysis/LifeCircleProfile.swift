import Foundation
import GridModel

/// What "covered" means: walking speed and, per life-circle level, the categories a household needs
/// within that walk, with optional distance limits written in the standard (GB 50180-2018 §4 and
/// Appendix B; TD/T 1062-2021 splits items into basic and upgrade).
public struct LifeCircleProfile: Codable, Sendable, Hashable {
    public var name: String
    public var title: String?
    /// Metres per second (planning practice: 1.0–1.33).
    public var walkingSpeed: Double
    /// Buildings and facilities farther than this from the network are reported as off-network.
    public var snapDistance: Double?
    public var levels: [Level]

    public struct Level: Codable, Sendable, Hashable {
        public var minutes: Double
        public var categories: [Requirement]
        public init(minutes: Double, categories: [Requirement]) { self.minutes = minutes; self.categories = categories }
    }

    public struct Requirement: Codable, Sendable, Hashable {
        public var category: String
        /// A radius written in the standard; the level's walking time still applies when shorter.
        public var maxDistance: Double?
        public var label: String?
        /// "basic" or "upgrade" (TD/T 1062-2021); informational.
        public var kind: String?
        public init(category: String, maxDistance: Double? = nil, label: String? = nil, kind: String? = nil) {
            self.category = category; self.maxDistance = maxDistance; self.label = label; self.kind = kind
        }
    }

    public init(name: String, title: String? = nil, walkingSpeed: Double, snapDistance: Double? = nil, levels: [Level]) {
        self.name = name; self.title = title; self.walkingSpeed = walkingSpeed; self.snapDistance = snapDistance; self.levels = levels
    }

    /// Used when a profile file leaves `snapDistance` out.
    public static let defaultSnapDistance = 200.0

    public var snapLimit: Meters { Meters(snapDistance ?? Self.defaultSnapDistance) }

    /// The reach rule every analysis of this profile applies (see `ReachRule`).
    public var reach: ReachRule { ReachRule(walkingSpeed: walkingSpeed, snapLimit: snapLimit) }

    /// The walking distance a requirement allows at its level.
    public func limit(_ requirement: Requirement, at level: Level) -> Meters {
        Meters(min(reach.distance(minutes: level.minutes).value, requirement.maxDistance ?? .infinity))
    }

    /// The isochrone contours that show a category's requirements: the level's time, or the standard's
    /// radius where it is shorter, in level order, each once.
    public func contours(for category: String) -> [Isochrone.Contour] {
        var result: [Isochrone.Contour] = []
        for level in levels {
            for requirement in level.categories where requirement.category == category {
                let contour: Isochrone.Contour = if let radius = requirement.maxDistance, radius < reach.distance(minutes: level.minutes).value {
                    .meters(radius)
                } else {
                    .minutes(level.minutes)
                }
                if !result.contains(contour) { result.append(contour) }
            }
        }
        return result
    }

    /// The profile with another walking speed, checked as a profile file's would be.
    public func with(walkingSpeed speed: Double) throws(Invalid) -> LifeCircleProfile {
        var profile = self
        profile.walkingSpeed = speed
        if let problem = profile.reach.problem() { throw Invalid(description: "speed: \(problem.replacingOccurrences(of: "walkingSpeed ", with: ""))") }
        return profile
    }

    /// The profiles shipped with the product, by name.
    public static var shipped: [LifeCircleProfile] { [gb50180] }

    public static func shipped(named name: String) -> LifeCircleProfile? { shipped.first { $0.name == name } }

    /// Every category the profile names, in first-mention order.
    public var categories: [String] {
        var seen = Set<String>()
        return levels.flatMap(\.categories).map(\.category).filter { seen.insert($0).inserted }
    }

    /// The farthest any level looks for a category: the search horizon.
    public func horizon(for category: String) -> Meters {
        var result = 0.0
        for level in levels {
            for requirement in level.categories where requirement.category == category {
                result = max(result, limit(requirement, at: level).value)
            }
        }
        return Meters(result)
    }

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Parses and checks a profile file; errors name the file and the field.
    public static func decode(_ data: Data, file: String) throws(Invalid) -> LifeCircleProfile {
        let profile: LifeCircleProfile
        do {
            profile = try JSONDecoder().decode(LifeCircleProfile.self, from: data)
        } catch let error as DecodingError {
            throw Invalid(description: "\(file): not a valid profile: \(error.fieldDescription)")
        } catch {
            throw Invalid(description: "\(file): not a valid profile: \(error)")
        }
        func fail(_ message: String) -> Invalid { Invalid(description: "\(file): \(message)") }
        if let problem = profile.reach.problem() { throw fail(problem) }
        guard !profile.levels.isEmpty else { throw fail("levels is empty") }
        for (i, level) in profile.levels.enumerated() {
            guard level.minutes.isFinite, level.minutes > 0, level.minutes <= 120 else {
                throw fail("levels[\(i)].minutes must be in (0, 120], got \(level.minutes)")
            }
            guard !level.categories.isEmpty else { throw fail("levels[\(i)].categories is empty") }
            for (j, requirement) in level.categories.enumerated() {
                guard !requirement.category.isEmpty else { throw fail("levels[\(i)].categories[\(j)].category is empty") }
                if let distance = requirement.maxDistance, !(distance.isFinite && distance > 0) {
                    throw fail("levels[\(i)].categories[\(j)].maxDistance must be a positive number of metres, got \(distance)")
                }
            }
        }
        return profile
    }

    public static let gb50180: LifeCircleProfile = {
        // Shipped as JSON so that `communitygrid profile` prints exactly what is applied.
        try! decode(Data(gb50180JSON.utf8), file: "gb50180")
    }()

    /// GB 50180-2018 life circles (5 min ≈ 360 m, 10 min ≈ 720 m, 15 min ≈ 1080 m at its walking speed), with the
    /// service radii the standard writes down: kindergarten 300 m, primary school 500 m, junior middle school 1000 m.
    public static let gb50180JSON = #"""
    {
      "name": "gb50180",
      "title": "GB 50180-2018 residential life circles (5/10/15 minutes on foot)",
      "walkingSpeed": 1.2,
      "snapDistance": 200,
      "levels": [
        {"minutes": 5, "categories": [
          {"category": "kindergarten", "maxDistance": 300, "label": "kindergarten (幼儿园)", "kind": "basic"},
          {"category": "community_service", "label": "community service station (社区服务站)", "kind": "basic"},
          {"category": "elderly_care", "label": "elderly day care (老年人日间照料中心)", "kind": "basic"},
          {"category": "grocery", "label": "convenience shop (便利店)", "kind": "basic"}
        ]},
        {"minutes": 10, "categories": [
          {"category": "school", "maxDistance": 500, "label": "primary school (小学)", "kind": "basic"},
          {"category": "grocery", "label": "fresh market or supermarket (菜市场或生鲜超市)", "kind": "basic"},
          {"category": "transit_stop", "label": "public transport stop (公交站)", "kind": "basic"}
        ]},
        {"minutes": 15, "categories": [
          {"category": "school", "maxDistance": 1000, "label": "junior middle school (初中)", "kind": "basic"},
          {"category": "clinic", "label": "community health service centre (社区卫生服务中心)", "kind": "basic"},
          {"category": "elderly_care", "label": "care home (养老院)", "kind": "basic"},
          {"category": "pharmacy", "label": "pharmacy (药店)", "kind": "upgrade"}
        ]}
      ]
    }
    """#
}
