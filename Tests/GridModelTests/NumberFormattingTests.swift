import Testing
@testable import GridModel

@Suite struct NumberFormattingTests {
    @Test(arguments: [
        (116.3, 7, "116.3"),
        (-0.0000001, 7, "-0.0000001"),
        (1e-8, 7, "0"),
        (-1e-8, 7, "0"),
        (-0.0, 7, "0"),
        (180, 7, "180"),
        (-180, 7, "-180"),
        (39.99999995, 7, "40"),
        (-39.99999995, 7, "-40"),
        (39.99999994, 7, "39.9999999"),
        (1.00000005, 7, "1.0000001"),
        (0.5, 0, "1"),
        (2.5, 0, "3"),
        (116.391234567, 7, "116.3912346"),
        (116.391234567, 3, "116.391"),
        (0.000123, 7, "0.000123"),
        (1e20, 7, "100000000000000000000"),
        (1.5e15, 3, "1500000000000000"),
        (123456.789, 2, "123456.79"),
        (0.1 + 0.2, 7, "0.3"),
        (Double.leastNonzeroMagnitude, 7, "0"),
        (9.999999999, 2, "10"),
    ] as [(Double, Int, String)])
    func fixed(value: Double, precision: Int, expected: String) {
        #expect(GeoJSON.formatCoordinate(value, precision: precision) == expected)
    }

    @Test func nonFiniteIsNull() {
        #expect(NumberText.fixed(.nan, precision: 7) == "null")
        #expect(NumberText.fixed(.infinity, precision: 7) == "null")
    }

    @Test func fastPathAgreesWithDecimalRounding() {
        // The multiply-and-round path must match rounding of the shortest decimal digits.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let precision = Int.random(in: 0...9, using: &generator)
            let scale = [1.0, 10, 180, 1e-3, 1e6][Int.random(in: 0...4, using: &generator)]
            var value = Double.random(in: -scale...scale, using: &generator)
            if Bool.random(using: &generator) {
                // Values that sit on a decimal tie at this precision.
                let step = NumberText.powersOfTen[precision]
                value = ((value * step).rounded(.down) + 0.5) / step
            }
            var reference: [UInt8] = []
            NumberText.appendDecimalRounded(value, precision: precision, to: &reference)
            #expect(NumberText.fixed(value, precision: precision) == String(decoding: reference, as: UTF8.self), "\(value) @ \(precision)")
        }
    }

    @Test(arguments: [
        (3.0, "3"), (-42.0, "-42"), (0.1, "0.1"), (1e-7, "1e-7"), (1e-6, "0.000001"), (123.456, "123.456"),
        (1e21, "1e21"), (1e20, "100000000000000000000"), (2.5e-10, "2.5e-10"),
    ] as [(Double, String)])
    func shortest(value: Double, expected: String) {
        #expect(NumberText.plain(value) == expected)
    }
}
