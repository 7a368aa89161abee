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
        let temporary = try seeded()
        let before = try temporary.fingerprint()
        let path = try temporary.file("bad.csv", csv)
        #expect {
            _ = try HouseholdRegisterImporter.run(store: temporary.store, path: path)
        } throws: { error in
            guard let error = error as? StoreError, error.isUserError else { return false }
            let ok = error.description.contains(path) && words.allSatisfy { error.description.contains($0) }
            if !ok { print("unexpected message: \(error.description)") }
            return ok
        }
        #expect(try temporary.fingerprint() == before)
    }

    @Test("bad rows name the line and the field; nothing is stored")
    func badRows() throws {
        try expectRefused("building_id,households\nw200,3\nw999,2\n", mentioning: ["line 3", "w999"])
        try expectRefused("building_id,households\nw200,three\n", mentioning: ["line 2", "households"])
        try expectRefused("building_id,households\nw200,-1\n", mentioning: ["line 2", "households"])
        try expectRefused("building_id,floor,households\nw200,3,1\nw200,x,1\n", mentioning: ["line 3", "floor"])
        try expectRefused("lon,lat,households\n39.9003,116.3011,1\n", mentioning: ["line 2", "swapped"])
        try expectRefused("lon,lat,households\n116.5,39.5,1\n", mentioning: ["line 2", "no building contains"])
        try expectRefused("unit,households\n1,2\n", mentioning: ["line 1", "building_id"])
        try expectRefused("building_id,count\nw200,2\n", mentioning: ["line 1", "households"])
        try expectRefused("building_id,households\nw200,2,9\n", mentioning: ["line 2", "3 fields"])
        try expectRefused("building_id,households\n\"w200,2\n", mentioning: ["line 2", "quoted"])
    }
}
