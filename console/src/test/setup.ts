import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  cleanup();
  localStorage.clear();
});
// jsdom has no layout: the virtualizer and scrollIntoView need these.
Element.prototype.scrollIntoView = function () {};
// ...and a viewport-sized box for every element, so the virtualized table renders its first rows.
Element.prototype.getBoundingClientRect = function () {
  return { x: 0, y: 0, top: 0, left: 0, bottom: 640, right: 1000, width: 1000, height: 640, toJSON() {} } as DOMRect;
};
