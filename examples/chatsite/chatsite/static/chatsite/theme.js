// The example site's theme toggle, as a static script (a strict Content-Security-Policy allows
// no inline script or handler): the chosen theme is applied before first paint.
const root = document.documentElement;
const saved = localStorage.getItem("chatsite.theme");
if (saved) root.dataset.theme = saved;

document.addEventListener("DOMContentLoaded", () => {
  document.querySelector(".theme-toggle")?.addEventListener("click", () => {
    const current = root.dataset.theme || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    root.dataset.theme = current === "dark" ? "light" : "dark";
    localStorage.setItem("chatsite.theme", root.dataset.theme);
  });
});
