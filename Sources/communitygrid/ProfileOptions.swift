import ArgumentParser
import Foundation
import GridAnalysis
import GridStore

/// `--profile gb50180|FILE`.
struct ProfileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Life-circle profile: gb50180 (shipped) or a JSON file.", valueName: "PROFILE"))
    var profile: String = "gb50180"

    func load() throws -> LifeCircleProfile {
        if profile == "gb50180" { return .gb50180 }
        guard let data = FileManager.default.contents(atPath: profile) else {
            throw StoreError.badInput("\(profile): profile file not found (use gb50180 or a JSON file; `communitygrid profile` prints one)")
        }
        do { return try LifeCircleProfile.decode(data, file: profile) } catch { throw StoreError.badInput(error.description) }
    }
}

struct Profile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the shipped GB 50180-2018 life-circle profile as JSON, or check a profile file.",
        discussion: "Save, edit and pass it to `coverage --profile FILE`.")

    @Option(help: ArgumentHelp("Check a profile file instead of printing the default.", valueName: "FILE")) var check: String?

    func run() async throws {
        guard let check else { print(LifeCircleProfile.gb50180JSON); return }
        var options = ProfileOptions()
        options.profile = check
        let profile = try options.load()
        print("\(check): valid; \(profile.levels.count) levels, categories: \(profile.categories.joined(separator: ", "))")
    }
}

