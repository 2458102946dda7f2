{#- 全书 PDF 的封面（mkdocs-print-site-plugin 的 cover_page_template）；版本和日期由 hooks/print_site.py 填进 config.extra -#}
{%- set title, _, subtitle = config.site_name.partition(" · ") -%}
<div class="lesson-cover">
  <p class="lesson-cover__title">{{ title }}</p>
  {%- if subtitle %}
  <p class="lesson-cover__subtitle">{{ subtitle }}</p>
  {%- endif %}
  <p class="lesson-cover__description">{{ config.site_description }}</p>
  <p class="lesson-cover__author">{{ config.site_author }}</p>
  <p class="lesson-cover__version">{{ config.extra.print_version }}</p>
  <p class="lesson-cover__copyright">{{ config.copyright }}</p>
</div>
