import ArgumentParser
import GridCommandLine

/// Entry point of the benchmark commands. Exit codes: 0 success, 1 bad input or usage, 2 internal error.
@main
struct CommunityGridBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "communitygrid-bench",
        abstract: "Benchmarks: the peer harness task, coverage on generated cities, isochrones, districting beside its peers.",
        subcommands: [BenchPeer.self, BenchCoverage.self, BenchIsochrone.self, BenchDistricting.self])

    @OptionGroup var store: StoreOptions

    static func main() async { await CommandMain.run(Self.self) }
}
