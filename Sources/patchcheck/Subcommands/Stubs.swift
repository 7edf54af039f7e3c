import ArgumentParser
struct ApplyAndBootCommand: ParsableCommand {}
struct ApplyCommand: ParsableCommand {}
struct SeriesCommand: ParsableCommand {}
