import ArgumentParser
import Foundation
import GridStore

struct Rules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the shipped OSM import rules (walk filter, household estimate, facility categories) as JSON.",
        discussion: "Save, edit and pass the file to `import osm --rules FILE`.")

    @Option(help: ArgumentHelp("Check a rules file instead of printing the defaults.", valueName: "FILE")) var check: String?

    func run() async throws {
        if let check {
            let rules = try Rules.load(check)
            print("\(check): valid; \(rules.facilities.count) facility rules, categories: \(rules.categories.joined(separator: ", "))")
            let households = rules.households
            print("households: \(households.residentialTypes.count) residential types; ambiguous types: \((households.ambiguousTypes ?? []).joined(separator: ", ")); "
                  + "\(households.nonResidentialAreas?.count ?? 0) non-residential area rules, \(households.nonResidentialNames?.count ?? 0) non-residential names; "
                  + "minimum footprint \(households.minimumFootprintSquareMeters ?? 0) m², at most \(rules.maximumLevels) levels")
        } else {
            print(ImportRules.defaultJSON)
        }
    }

    static func load(_ path: String?) throws -> ImportRules {
        guard let path else { return .default }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError.badInput("\(path): rules file not found or not readable")
        }
        return try ImportRules.decode(data, file: path)
    }
}
