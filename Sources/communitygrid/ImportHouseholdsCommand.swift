import ArgumentParser
import GridStore

struct ImportHouseholds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "households",
        abstract: "Import a CSV household register: building_id (or lon,lat), unit, floor, households.",
        discussion: "A building's household count becomes the sum of its register rows. --crs names the system of the lon/lat columns.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The CSV file (UTF-8, header row).") var path: String
    @OptionGroup var crs: CoordinateSystemOption
    @OptionGroup var output: ImportOutput

    func run() async throws {
        let summary = try HouseholdRegisterImporter.run(store: try store.open(), path: path, crs: try crs.system())
        try output.show(summary)
    }
}
