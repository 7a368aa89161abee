import ArgumentParser
import Foundation
import GridAnalysis
import GridCommandLine

struct Profile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the shipped GB 50180-2018 life-circle profile as JSON, or check a profile file.",
        discussion: "Save, edit and pass it to `coverage`, `isochrone`, `suggest` or `serve` with --profile FILE.")

    @Option(help: ArgumentHelp("Check a profile file instead of printing the default.", valueName: "FILE")) var check: String?

    func run() async throws {
        guard let check else { print(LifeCircleProfile.gb50180JSON); return }
        let profile = try ProfileOptions.load(check, speed: nil)
        print("\(check): valid; \(profile.levels.count) levels, categories: \(profile.categories.joined(separator: ", "))")
    }
}

