import ArgumentParser
import Foundation
import GridCommandLine
import GridServices
import GridStore

/// `cases generate`: a year of a street office's cases on the store's district, deterministic by seed.
struct CasesGenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a year of a street office's cases (routed, moved through the loop, same seed same rows) for load and evaluation tests.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var profileOptions: ProfileOptions
    @Option(help: "The calendar year the cases are registered in.") var year: Int
    @Option(help: "How many cases (a street office's year: about 200,000).") var cases: Int = 200_000
    @Option(help: "Seed of the generator.") var seed: UInt64 = 14
    @Flag(help: "JSON output.") var json = false

    func run() async throws {
        let store = try store.open()
        let started = Date()
        let network = try CaseNetwork.load(store, profile: try profileOptions.load())
        let summary = try CaseGeneration.generate(store: store, network: network, year: year, count: cases, seed: seed)
        let seconds = Date().timeIntervalSince(started)
        if json {
            try Console.printJSON(["year": summary.year, "seed": summary.seed, "cases": summary.cases, "events": summary.events,
                                   "workers_added": summary.workersAdded, "states": summary.states, "first_code": summary.firstCode as Any,
                                   "last_code": summary.lastCode as Any, "seconds": (seconds * 10).rounded() / 10])
            return
        }
        print("generated \(summary.cases) cases with \(summary.events) events registered in \(summary.year) (seed \(summary.seed)), "
              + String(format: "%.1f s", seconds))
        if let first = summary.firstCode, let last = summary.lastCode { print("codes \(first) … \(last)") }
        print("workers added: \(summary.workersAdded)")
        print("state at the year's end: " + summary.states.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
}
