import ArgumentParser
import GridCommandLine
import GridStore

struct ImportHouseholds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "households",
        abstract: "Import a CSV household register: building_id (or lon,lat), unit, floor, households.",
        discussion: """
            A building's household count becomes the sum of its register rows. UTF-8 (with or without BOM), GBK and \
            GB18030 are read (detected, or --encoding); Chinese headers are understood (楼栋编号/楼号 → building_id, \
            单元 → unit, 楼层 → floor, 户数 → households, 经度/纬度 → lon/lat); --map names any other header; --crs \
            names the system of the lon/lat columns.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The CSV file (header row).") var path: String
    @Option(help: ArgumentHelp("The file's encoding: utf8, gbk or gb18030 (default: detected).", valueName: "E"))
    var encoding: TextEncoding?
    @Option(name: .customLong("map"), help: ArgumentHelp(
        "Header names in the file: FIELD=HEADER,… (fields: building_id, unit, floor, households, lon, lat).",
        valueName: "MAPPING"))
    var mapping: String?
    @OptionGroup var crs: CoordinateSystemOption
    @OptionGroup var output: ImportOutput

    func run() async throws {
        let options = HouseholdRegisterImporter.Options(
            encoding: encoding, columns: try HouseholdRegisterImporter.columnMapping(mapping), crs: try crs.system())
        let summary = try HouseholdRegisterImporter.run(store: try store.open(), path: path, options: options)
        try output.show(summary)
    }
}

extension TextEncoding: ExpressibleByArgument {}
