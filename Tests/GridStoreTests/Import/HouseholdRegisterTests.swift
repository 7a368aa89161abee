import Foundation
import GRDB
import GridStore
import Testing

@Suite("Household register import")
struct HouseholdRegisterTests {
    func seeded() throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: try temporary.file("small.osm", OSMFixtures.small))
        return temporary
    }

    func households(_ temporary: TemporaryStore, _ id: String) throws -> (Int, String)? {
        try temporary.store.read { db in
            try Row.fetchOne(db, sql: "SELECT households, households_source FROM buildings WHERE source_id = ?", arguments: [id])
                .map { ($0[0] as Int, $0[1] as String) }
        }
    }

    @Test("rows by building id and by a point inside the footprint; a building's count becomes the sum of its rows")
    func byIdAndPoint() throws {
        let temporary = try seeded()
        let csv = """
            building_id,unit,floor,households
            w200,1,1,2
            w200,1,2,"2"
            w200,2,1,3
            """
        let summary = try HouseholdRegisterImporter.run(store: temporary.store, path: try temporary.file("reg.csv", csv))
        #expect(summary.count("rows") == 3)
        #expect(try households(temporary, "w200")! == (7, "register"))

        let byPoint = "lon,lat,unit,floor,households\r\n116.3011,39.9003,A,5,4\r\n"
        _ = try HouseholdRegisterImporter.run(store: temporary.store, path: try temporary.file("pt.csv", byPoint))
        #expect(try households(temporary, "w201")! == (4, "register"))
        // Importing again for the same building replaces its rows.
        _ = try HouseholdRegisterImporter.run(store: temporary.store, path: try temporary.file("reg2.csv", "building_id,households\nw200,9\n"))
        #expect(try households(temporary, "w200")! == (9, "register"))
        #expect(try temporary.count("household_register") == 2)
    }

    func expectRefused(_ csv: String, mentioning words: [String]) throws {
        try expectRefused(bytes: Data(csv.utf8), mentioning: words)
    }

    func expectRefused(bytes: Data, options: HouseholdRegisterImporter.Options = .init(), mentioning words: [String]) throws {
        let temporary = try seeded()
        let path = try temporary.file("bad.csv", bytes: bytes)
        try temporary.expectRefused(path, mentioning: words) { _ = try HouseholdRegisterImporter.run(store: $0, path: path, options: options) }
    }

    @Test("bad rows name the line and the field; nothing is stored")
    func badRows() throws {
        try expectRefused("building_id,households\nw200,3\nw999,2\n", mentioning: ["line 3", "w999"])
        try expectRefused("building_id,households\nw200,three\n", mentioning: ["line 2", "households"])
        try expectRefused("building_id,households\nw200,-1\n", mentioning: ["line 2", "households"])
        try expectRefused("building_id,floor,households\nw200,3,1\nw200,x,1\n", mentioning: ["line 3", "floor"])
        try expectRefused("lon,lat,households\n39.9003,116.3011,1\n", mentioning: ["line 2", "swapped"])
        try expectRefused("lon,lat,households\n116.5,39.5,1\n", mentioning: ["line 2", "no building contains"])
        try expectRefused("lon,lat,households\n116.5,39.5,1\nnan,39.9,1\n", mentioning: ["line 3", "finite"])
        try expectRefused("unit,households\n1,2\n", mentioning: ["line 1", "building_id"])
        try expectRefused("building_id,count\nw200,2\n", mentioning: ["line 1", "households"])
        try expectRefused("building_id,households\nw200,2,9\n", mentioning: ["line 2", "3 fields"])
        try expectRefused("building_id,households\n\"w200,2\n", mentioning: ["line 2", "quoted"])
    }

    /// The bytes the C library's `iconv` command makes of `text` (an independent encoder).
    static func encoded(_ text: String, as encoding: String) throws -> Data {
        let result = try Processes.run("/usr/bin/iconv", ["-f", "UTF-8", "-t", encoding], input: Data(text.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdoutBytes
    }

    @Test("GBK and GB18030 registers with Chinese headers and CRLF, as Excel saves them: detected or given")
    func gbkChineseHeaders() throws {
        let text = "楼栋编号,单元,楼层,户数\r\nw200,一单元,1,2\r\nw200,二单元,2,3\r\nw201,一单元,1,4\r\n"
        for encoding in ["GBK", "GB18030"] {
            let bytes = try Self.encoded(text, as: encoding)
            #expect(String(data: bytes, encoding: .utf8) == nil, "the \(encoding) bytes must not be valid UTF-8")
            for option in [nil, TextEncoding(rawValue: encoding.lowercased())] {
                let temporary = try seeded()
                let path = try temporary.file("register.csv", bytes: bytes)
                let summary = try HouseholdRegisterImporter.run(store: temporary.store, path: path, options: .init(encoding: option))
                #expect(summary.count("rows") == 3)
                #expect(summary.format == (option == nil ? "csv (gb18030, detected)" : "csv (\(encoding.lowercased()))"))
                #expect(try households(temporary, "w200")! == (5, "register"))
                #expect(try households(temporary, "w201")! == (4, "register"))
                let units = try temporary.store.read { try String.fetchAll($0, sql: "SELECT unit FROM household_register ORDER BY id") }
                #expect(units == ["一单元", "二单元", "一单元"])
            }
        }
    }

    @Test("UTF-8 with a BOM and CRLF; 楼号/经度/纬度 aliases; --map names any other header")
    func bomAliasesAndMap() throws {
        let temporary = try seeded()
        let bom = Data([0xEF, 0xBB, 0xBF]) + Data("楼号,单元,户数\r\nw200,1,6\r\n".utf8)
        let summary = try HouseholdRegisterImporter.run(store: temporary.store, path: try temporary.file("bom.csv", bytes: bom))
        #expect(summary.format == "csv (utf8, detected)")
        #expect(try households(temporary, "w200")! == (6, "register"))

        _ = try HouseholdRegisterImporter.run(store: temporary.store, path: try temporary.file("pt.csv", "经度,纬度,户数\n116.3011,39.9003,8\n"))
        #expect(try households(temporary, "w201")! == (8, "register"))

        let mapped = "编号,总户数,备注\nw200,11,东侧\n"
        let columns = try HouseholdRegisterImporter.columnMapping("building_id=编号, households=总户数")
        _ = try HouseholdRegisterImporter.run(store: temporary.store, path: try temporary.file("map.csv", mapped), options: .init(columns: columns))
        #expect(try households(temporary, "w200")! == (11, "register"))
        #expect(throws: StoreError.self) { try HouseholdRegisterImporter.columnMapping("storey=层") }
    }

    @Test("encoding errors name the line and the byte offset; sums that overflow name the line; nothing is stored")
    func encodingAndOverflow() throws {
        // 0xFF never occurs in UTF-8, GBK or GB18030: line 3, offset 35.
        let bad = Data("building_id,households\nw200,3\nw201,".utf8) + Data([0xFF, 0x31, 0x0A])
        try expectRefused(bytes: bad, mentioning: ["line 3", "byte offset 35", "0xFF"])
        try expectRefused(bytes: bad, options: .init(encoding: .utf8), mentioning: ["line 3", "byte offset 35", "UTF-8"])
        // Valid GBK is not valid UTF-8 (楼 is 0xC2 0xA5, which UTF-8 reads as one character; 栋 is not): refused when UTF-8 is asked for.
        let gbk = try Self.encoded("楼栋编号,户数\nw200,3\n", as: "GBK")
        try expectRefused(bytes: gbk, options: .init(encoding: .utf8), mentioning: ["line 1", "byte offset 2", "0xB6", "UTF-8"])
        try expectRefused(bytes: Data([0xFF, 0xFE, 0x41, 0x00]), mentioning: ["UTF-16"])
        try expectRefused("building_id,households\nw200,\(Int.max)\nw200,1\n", mentioning: ["line 3", "add up"])
        try expectRefused("building_id,households\nw200,\(Int.max)\nw201,1\n", mentioning: ["line 3", "add up"])
        try expectRefused("building_id,households\nw200,\(Int.max)0\n", mentioning: ["line 2", "households"])
        try expectRefused("楼号,楼栋编号,户数\nw200,w200,1\n", mentioning: ["line 1", "building_id", "--map"])
        try expectRefused("编号,户数\nw200,1\n", mentioning: ["line 1", "building_id"])
        try expectRefused(bytes: Data("building_id,户数\nw200,1\n".utf8), options: .init(columns: ["households": "总户数"]),
                          mentioning: ["line 1", "--map households=总户数"])
    }
}
