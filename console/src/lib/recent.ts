// Recently opened services, teams and repositories (this browser only).
export interface RecentItem {
  type: "service" | "team" | "repository";
  id: string;
  name: string;
  href: string;
  detail?: string;
}
const KEY = "roster.recent";
const MAX = 8;

export function recentItems(type?: RecentItem["type"]): RecentItem[] {
  try {
    const items = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    if (!Array.isArray(items)) return [];
    return items.filter((i): i is RecentItem =>
      i && typeof i.id === "string" && typeof i.name === "string" && typeof i.href === "string" &&
      i.href.startsWith("/") && !i.href.startsWith("//") && (!type || i.type === type));
  } catch {
    return [];
  }
}

export function remember(item: RecentItem): void {
  try {
    const rest = recentItems().filter((i) => !(i.type === item.type && i.id === item.id));
    localStorage.setItem(KEY, JSON.stringify([item, ...rest].slice(0, MAX)));
  } catch {
    /* storage full or disabled: nothing to remember */
  }
}
