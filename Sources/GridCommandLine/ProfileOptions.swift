import ArgumentParser
import Foundation
import GridAnalysis
import GridStore

/// `--profile NAME|FILE` and `--speed M/S`: the reach rule (walking speed, snap limit) and the life-circle
/// levels, the same on every command that computes reach.
public struct ProfileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Life-circle profile: a shipped one by name (gb50180) or a JSON file; it sets the walking speed, the snap limit and the levels.",
                               valueName: "NAME|FILE"))
    public var profile: String = LifeCircleProfile.gb50180.name
    @Option(help: ArgumentHelp("Walking speed in m/s instead of the profile's.", valueName: "M/S")) public var speed: Double?

    public init() {}

    public func load() throws -> LifeCircleProfile { try Self.load(profile, speed: speed) }

    public static func load(_ profile: String, speed: Double?) throws -> LifeCircleProfile {
        var loaded: LifeCircleProfile
        if let shipped = LifeCircleProfile.shipped(named: profile) {
            loaded = shipped
        } else {
            guard let data = FileManager.default.contents(atPath: profile) else {
                let names = LifeCircleProfile.shipped.map(\.name).joined(separator: ", ")
                throw StoreError.badInput("--profile \(profile): no shipped profile has this name (\(names)) and no such file exists; `communitygrid profile` prints one to edit")
            }
            do { loaded = try LifeCircleProfile.decode(data, file: profile) } catch { throw StoreError.badInput(error.description) }
        }
        if let speed {
            do { loaded = try loaded.with(walkingSpeed: speed) } catch { throw StoreError.badInput("--\(error)") }
        }
        return loaded
    }
}
