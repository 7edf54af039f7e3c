// swift-tools-version: 6.2
import PackageDescription

let package = Package(
  name: "patchcheck",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "patchcheck", targets: ["patchcheck"]),
    .library(name: "PatchCheckKit", targets: ["PatchCheckKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CGit2",
      pkgConfig: "libgit2",
      providers: [.apt(["libgit2-dev"])]
    ),
    // SHA-256 for KCIDB's patchset hash, from the OpenSSL the kernel build needs anyway.
    .systemLibrary(
      name: "CCrypto",
      pkgConfig: "libcrypto",
      providers: [.apt(["libssl-dev"])]
    ),
    // gzip, for lore's t.mbox.gz; zlib comes with libgit2's own dependencies.
    .systemLibrary(
      name: "CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    .target(
      name: "PatchCheckKit",
      dependencies: [
        "CGit2", "CCrypto", "CZlib", .product(name: "Yams", package: "Yams"), .product(name: "GRDB", package: "GRDB.swift"),
      ]
    ),
    .executableTarget(
      name: "patchcheck",
      dependencies: [
        "PatchCheckKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(
      name: "PatchCheckKitTests",
      dependencies: ["PatchCheckKit", "CGit2"],
      exclude: ["Fixtures"]
    ),
  ]
)
