import ArgumentParser
import GridCommandLine

/// Entry point. Exit codes: 0 success, 1 bad input or usage, 2 internal error.
@main
struct CommunityGrid: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "communitygrid",
        abstract: "Community grids, households, facilities and 15-minute walking coverage in one Spatialite file.",
        subcommands: [Init.self, Import.self, Export.self, Info.self, CoverageCommand.self, Suggest.self, GridsCommand.self, CasesCommand.self, WorkersCommand.self, CalendarCommand.self, Profile.self, Rules.self, Demo.self, IsochroneCommand.self, ServeCommand.self, ReportCommand.self, TilesCommand.self])

    @OptionGroup var store: StoreOptions

    static func main() async { await CommandMain.run(Self.self) }
}
