// A minimal XML writer (Foundation on Linux has no XMLEncoder): documents are trees of
// elements that models build (see XMLRepresentable), and this file is the one place their
// text and attribute values are escaped.

import Foundation

/// A model that is written as one XML element (and its children).
package protocol XMLRepresentable {
  var xmlElement: XMLWriter.Element { get }
}

package enum XMLWriter {
  package struct Element {
    package var name: String
    /// In the order they are written.
    package var attributes: [(name: String, value: String)] = []
    /// Written before the children; nil or empty for none.
    package var text: String?
    package var children: [Element] = []

    package init(_ name: String, _ attributes: [(name: String, value: String)] = [], text: String? = nil, children: [Element] = []) {
      self.name = name
      self.attributes = attributes
      self.text = text
      self.children = children
    }
  }

  /// The XML declaration and `root`. Elements less than `blockDepth` deep put each child on
  /// a line of its own, indented two spaces a level; deeper ones are written on one line.
  package static func document(_ root: some XMLRepresentable, blockDepth: Int = 0) -> String {
    var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
    write(root.xmlElement, depth: 0, blockDepth: blockDepth, to: &out)
    return out + "\n"
  }

  private static func write(_ element: Element, depth: Int, blockDepth: Int, to out: inout String) {
    out += "<" + element.name
    for attribute in element.attributes {
      out += " \(attribute.name)=\"\(escape(attribute.value))\""
    }
    let text = element.text ?? ""
    guard !text.isEmpty || !element.children.isEmpty else {
      out += "/>"
      return
    }
    out += ">" + escape(text)
    let block = depth < blockDepth && !element.children.isEmpty
    for child in element.children {
      if block { out += "\n" + String(repeating: "  ", count: depth + 1) }
      write(child, depth: depth + 1, blockDepth: blockDepth, to: &out)
    }
    if block { out += "\n" + String(repeating: "  ", count: depth) }
    out += "</\(element.name)>"
  }

  /// Text and attribute values alike: multi-line text (a failure's details, a scenario's
  /// steps) keeps its line breaks.
  private static func escape(_ text: String) -> String {
    Escaping.markup(text, keepingLineBreaks: true)
  }
}
